using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Storage.Sqlite.AutoML;

public sealed class SqliteAutoMLJobStore(SqliteDatabase db) : IAutoMLJobStore
{
    private readonly SqliteDocuments<AutoMLJob> _jobs = new(db, "automl_jobs", j => j.Name, j => j.Status.ToString(), j => j.CreationTime, j => j.LastModifiedTime);

    public Task<bool> AddAsync(AutoMLJob job, CancellationToken ct = default) => _jobs.AddAsync(job, ct);

    public Task<AutoMLJob?> FindAsync(string name, CancellationToken ct = default) => _jobs.FindAsync(name, ct);

    public Task<AutoMLJob?> UpdateAsync(string name, Func<AutoMLJob, AutoMLJob?> change, CancellationToken ct = default) => _jobs.UpdateAsync(name, change, ct);

    public Task<Page<AutoMLJob>> ListAsync(ListQuery query, CancellationToken ct = default) => _jobs.ListAsync(query, ct);
}
