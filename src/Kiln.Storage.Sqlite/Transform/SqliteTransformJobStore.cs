using Kiln.Core.Transform;

namespace Kiln.Storage.Sqlite.Transform;

public sealed class SqliteTransformJobStore(SqliteDatabase db)
    : SqliteResourceStore<TransformJob>(db, "transform_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), ITransformJobStore;
