using Kiln.Core.Common;
using Kiln.Core.Processing;
using Kiln.Core.Serving;

namespace Kiln.Storage.Sqlite.Processing;

public sealed class SqliteProcessingJobStore(SqliteDatabase db) : IProcessingJobStore
{
    private readonly SqliteDocuments<ProcessingJob> _jobs = new(db, "processing_jobs", j => j.Name, j => j.Status.ToString(), j => j.CreationTime, j => j.LastModifiedTime);

    public Task<bool> AddAsync(ProcessingJob job, CancellationToken ct = default) => _jobs.AddAsync(job, ct);

    public Task<ProcessingJob?> FindAsync(string name, CancellationToken ct = default) => _jobs.FindAsync(name, ct);

    public Task<ProcessingJob?> UpdateAsync(string name, Func<ProcessingJob, ProcessingJob?> change, CancellationToken ct = default) => _jobs.UpdateAsync(name, change, ct);

    public Task<Page<ProcessingJob>> ListAsync(ListQuery query, CancellationToken ct = default) => _jobs.ListAsync(query, ct);
}
