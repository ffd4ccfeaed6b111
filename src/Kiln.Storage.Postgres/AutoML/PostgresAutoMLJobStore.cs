using Kiln.Core.AutoML;

namespace Kiln.Storage.Postgres.AutoML;

public sealed class PostgresAutoMLJobStore(PostgresDatabase db)
    : PostgresResourceStore<AutoMLJob>(db, "automl_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), IAutoMLJobStore;
