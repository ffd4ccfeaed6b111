using Kiln.Core.Transform;

namespace Kiln.Storage.Postgres.Transform;

public sealed class PostgresTransformJobStore(PostgresDatabase db)
    : PostgresResourceStore<TransformJob>(db, "transform_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), ITransformJobStore;
