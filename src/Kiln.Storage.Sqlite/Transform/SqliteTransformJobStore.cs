using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Transform;
using Kiln.Storage.Sqlite.Transform;

namespace Kiln.Storage.Sqlite.Transform;

public sealed class SqliteTransformJobStore(SqliteDatabase db) : ITransformJobStore
{
    private readonly SqliteDocuments<TransformJob> _jobs = new(db, "transform_jobs", j => j.Name, j => j.Status.ToString(), j => j.CreationTime, j => j.LastModifiedTime);

    public Task<bool> AddAsync(TransformJob job, CancellationToken ct = default) => _jobs.AddAsync(job, ct);

    public Task<TransformJob?> FindAsync(string name, CancellationToken ct = default) => _jobs.FindAsync(name, ct);

    public Task<TransformJob?> UpdateAsync(string name, Func<TransformJob, TransformJob?> change, CancellationToken ct = default) => _jobs.UpdateAsync(name, change, ct);

    public Task<Page<TransformJob>> ListAsync(ListQuery query, CancellationToken ct = default) => _jobs.ListAsync(query, ct);
}
