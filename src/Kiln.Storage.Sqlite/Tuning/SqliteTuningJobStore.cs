using Kiln.Core.Tuning;

namespace Kiln.Storage.Sqlite.Tuning;

public sealed class SqliteTuningJobStore(SqliteDatabase db)
    : SqliteResourceStore<TuningJob>(db, "tuning_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), ITuningJobStore;
