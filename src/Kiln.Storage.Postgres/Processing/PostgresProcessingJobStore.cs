using Kiln.Core.Processing;

namespace Kiln.Storage.Postgres.Processing;

public sealed class PostgresProcessingJobStore(PostgresDatabase db)
    : PostgresResourceStore<ProcessingJob>(db, "processing_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), IProcessingJobStore;
