using Kiln.Core.Tuning;

namespace Kiln.Storage.Postgres.Tuning;

public sealed class PostgresTuningJobStore(PostgresDatabase db)
    : PostgresResourceStore<TuningJob>(db, "tuning_jobs", job => job.Name, job => job.Status.ToString(), job => job.CreationTime, job => job.LastModifiedTime), ITuningJobStore;
