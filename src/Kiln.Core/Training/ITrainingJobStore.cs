using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Core.Training;

public interface ITrainingJobStore
{
    /// <summary>Stores a new job; throws ResourceInUse when the name is taken.</summary>
    Task CreateAsync(TrainingJob job, CancellationToken ct = default);

    Task<TrainingJob?> FindAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes a job atomically; returns the job as written (null when it does not exist, or when <paramref name="change"/> returns null to leave it alone).</summary>
    Task<TrainingJob?> UpdateAsync(string name, Func<TrainingJob, TrainingJob?> change, CancellationToken ct = default);

    Task<Page<TrainingJob>> ListAsync(ListQuery query, CancellationToken ct = default);

    /// <summary>
    /// The jobs a property search selects, its paths walking the job as stored (<c>Spec.HyperParameters.eta</c>,
    /// <c>FinalMetrics.validation:auc</c>, <c>Spec.Tags.team</c>, <c>Spec.Channels.Name</c>). Records that tie on
    /// the sort key keep creation order (oldest first, reversed when descending). An invalid query or page token is InvalidParameterValue.
    /// </summary>
    Task<Page<TrainingJob>> SearchAsync(PropertySearchQuery query, CancellationToken ct = default);
}
