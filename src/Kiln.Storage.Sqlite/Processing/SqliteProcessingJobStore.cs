using Kiln.Core.Processing;

namespace Kiln.Storage.Sqlite.Processing;

public sealed class SqliteProcessingJobStore(SqliteDatabase db)
    : SqliteResourceStore<ProcessingJob>(db, "processing_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), IProcessingJobStore;
