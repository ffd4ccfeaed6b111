using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tuning;

namespace Kiln.Storage.Sqlite.Tuning;

public sealed class SqliteTuningJobStore(SqliteDatabase db) : ITuningJobStore
{
    private readonly SqliteDocuments<TuningJob> _jobs = new(db, "tuning_jobs", j => j.Name, j => j.Status.ToString(), j => j.CreationTime, j => j.LastModifiedTime);

    public Task<bool> AddAsync(TuningJob job, CancellationToken ct = default) => _jobs.AddAsync(job, ct);

    public Task<TuningJob?> FindAsync(string name, CancellationToken ct = default) => _jobs.FindAsync(name, ct);

    public Task<TuningJob?> UpdateAsync(string name, Func<TuningJob, TuningJob?> change, CancellationToken ct = default) => _jobs.UpdateAsync(name, change, ct);

    public Task<Page<TuningJob>> ListAsync(ListQuery query, CancellationToken ct = default) => _jobs.ListAsync(query, ct);
}
