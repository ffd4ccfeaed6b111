using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Transform;

public interface ITransformJobStore
{
    /// <summary>Stores a new job; false when the name is taken.</summary>
    Task<bool> AddAsync(TransformJob job, CancellationToken ct = default);

    Task<TransformJob?> FindAsync(string name, CancellationToken ct = default);

    Task<TransformJob?> UpdateAsync(string name, Func<TransformJob, TransformJob?> change, CancellationToken ct = default);

    Task<Page<TransformJob>> ListAsync(ListQuery query, CancellationToken ct = default);
}
