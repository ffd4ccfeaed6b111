using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Processing;

public interface IProcessingJobStore
{
    /// <summary>Stores a new job; false when the name is taken.</summary>
    Task<bool> AddAsync(ProcessingJob job, CancellationToken ct = default);

    Task<ProcessingJob?> FindAsync(string name, CancellationToken ct = default);

    Task<ProcessingJob?> UpdateAsync(string name, Func<ProcessingJob, ProcessingJob?> change, CancellationToken ct = default);

    Task<Page<ProcessingJob>> ListAsync(ListQuery query, CancellationToken ct = default);
}
