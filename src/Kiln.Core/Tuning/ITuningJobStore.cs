using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Core.Tuning;

public interface ITuningJobStore
{
    Task<bool> AddAsync(TuningJob job, CancellationToken ct = default);

    Task<TuningJob?> FindAsync(string name, CancellationToken ct = default);

    Task<TuningJob?> UpdateAsync(string name, Func<TuningJob, TuningJob?> change, CancellationToken ct = default);

    Task<Page<TuningJob>> ListAsync(ListQuery query, CancellationToken ct = default);
}
