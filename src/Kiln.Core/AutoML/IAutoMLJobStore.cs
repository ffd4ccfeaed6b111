using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Core.AutoML;

public interface IAutoMLJobStore
{
    Task<bool> AddAsync(AutoMLJob job, CancellationToken ct = default);

    Task<AutoMLJob?> FindAsync(string name, CancellationToken ct = default);

    Task<AutoMLJob?> UpdateAsync(string name, Func<AutoMLJob, AutoMLJob?> change, CancellationToken ct = default);

    Task<Page<AutoMLJob>> ListAsync(ListQuery query, CancellationToken ct = default);
}
