using Kiln.Core.AutoML;

namespace Kiln.Storage.Sqlite.AutoML;

public sealed class SqliteAutoMLJobStore(SqliteDatabase db)
    : SqliteResourceStore<AutoMLJob>(db, "automl_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), IAutoMLJobStore;
