using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Training;

namespace Kiln.Storage.Sqlite.Training;

public sealed class SqliteTrainingJobStore(SqliteDatabase db) : ITrainingJobStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public Task CreateAsync(TrainingJob job, CancellationToken ct = default) =>
        db.WriteAsync(session =>
        {
            if (session.Scalar("SELECT 1 FROM training_jobs WHERE name = $name", ("$name", job.Name)) is not null)
            {
                throw new KilnException(ErrorCode.ResourceInUse, $"Training job names must be unique within an AWS account and region, and a training job with this name already exists ({Arns.SageMaker(Arns.DefaultRegion, "training-job", job.Name)})");
            }

            session.Execute(
                "INSERT INTO training_jobs (name, status, creation_time, last_modified_time, job) VALUES ($name, $status, $created, $modified, $job)",
                ("$name", job.Name), ("$status", job.Status.ToString()), ("$created", job.CreationTime.ToUnixTimeMilliseconds()),
                ("$modified", job.LastModifiedTime.ToUnixTimeMilliseconds()), ("$job", JsonSerializer.Serialize(job, Json)));
        }, ct);

    public Task<TrainingJob?> FindAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => Load(session, name)));

    public Task<TrainingJob?> UpdateAsync(string name, Func<TrainingJob, TrainingJob?> change, CancellationToken ct = default) =>
        db.WriteAsync(session =>
        {
            var current = Load(session, name);
            if (current is null || change(current) is not { } changed)
            {
                return null;
            }

            session.Execute(
                "UPDATE training_jobs SET status = $status, last_modified_time = $modified, job = $job WHERE name = $name",
                ("$status", changed.Status.ToString()), ("$modified", changed.LastModifiedTime.ToUnixTimeMilliseconds()),
                ("$job", JsonSerializer.Serialize(changed, Json)), ("$name", name));
            return changed;
        }, ct);

    public Task<Page<TrainingJob>> ListAsync(TrainingJobQuery query, CancellationToken ct = default)
    {
        var where = new List<string> { "1 = 1" };
        var parameters = new List<(string, object?)>();
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            // SageMaker matches NameContains without regard to case.
            where.Add("instr(lower(name), lower($contains)) > 0");
            parameters.Add(("$contains", query.NameContains));
        }

        if (query.Status is { } status)
        {
            where.Add("status = $status");
            parameters.Add(("$status", status.ToString()));
        }

        AddTimeBound(where, parameters, "creation_time", ">", "$createdAfter", query.CreatedAfter);
        AddTimeBound(where, parameters, "creation_time", "<", "$createdBefore", query.CreatedBefore);
        AddTimeBound(where, parameters, "last_modified_time", ">", "$modifiedAfter", query.ModifiedAfter);
        AddTimeBound(where, parameters, "last_modified_time", "<", "$modifiedBefore", query.ModifiedBefore);

        var column = query.SortBy switch
        {
            TrainingJobSort.Name => "name",
            TrainingJobSort.Status => "status",
            _ => "creation_time",
        };
        var direction = query.Ascending ? "ASC" : "DESC";
        var offset = PageToken.Decode(query.PageToken);
        parameters.Add(("$limit", (long)query.MaxResults + 1));
        parameters.Add(("$offset", offset));
        var jobs = db.Read(session => session.Query(
            $"SELECT job FROM training_jobs WHERE {string.Join(" AND ", where)} ORDER BY {column} {direction}, name {direction} LIMIT $limit OFFSET $offset",
            reader => JsonSerializer.Deserialize<TrainingJob>(reader.GetString(0), Json)!,
            parameters.ToArray()));
        return Task.FromResult(Tracking.SqliteTrackingStore.Paged(jobs, query.MaxResults, offset));
    }

    private static void AddTimeBound(List<string> where, List<(string, object?)> parameters, string column, string op, string name, DateTimeOffset? bound)
    {
        if (bound is { } value)
        {
            where.Add($"{column} {op} {name}");
            parameters.Add((name, value.ToUnixTimeMilliseconds()));
        }
    }

    private static TrainingJob? Load(SqliteSession session, string name)
    {
        var json = (string?)session.Scalar("SELECT job FROM training_jobs WHERE name = $name", ("$name", name));
        return json is null ? null : JsonSerializer.Deserialize<TrainingJob>(json, Json);
    }
}
