using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Training;

namespace Kiln.Storage.Sqlite.Training;

public sealed class SqliteTrainingJobStore(SqliteDatabase db) : ITrainingJobStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The lists and dictionaries of a stored <see cref="TrainingJob"/>, for search paths.</summary>
    internal static readonly DocumentShape SearchShape = new DocumentShape()
        .Dictionary("Spec.HyperParameters").Dictionary("Spec.Environment").Dictionary("Spec.StoredSettings").Dictionary("Spec.RunTags")
        .List("Spec.Channels", "Name").List("Spec.MetricDefinitions", "Name").List("Spec.Tags", "Key").List("FinalMetrics", "Name")
        .List("Spec.ContainerEntrypoint").List("Spec.ContainerArguments").List("Spec.NotActedOn").List("Transitions");

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

    public Task<Page<TrainingJob>> ListAsync(ListQuery query, CancellationToken ct = default) =>
        Task.FromResult(SqliteListing.Read(db, query, "training_jobs", "job", "last_modified_time", reader => JsonSerializer.Deserialize<TrainingJob>(reader.GetString(0), Json)!));

    public Task<Page<TrainingJob>> SearchAsync(PropertySearchQuery query, CancellationToken ct = default)
    {
        query.Validate();
        var offset = PageToken.Decode(query.PageToken);
        var sql = new SqlBuilder();
        var search = new PropertySearchSql(sql, SearchShape);
        var (condition, residual) = query.Where is { } where ? search.Translate("job", where) : (null, null);
        var key = search.FirstValue("job", query.SortBy);
        var filter = condition ?? "1 = 1";
        if (residual is null && key is not null)
        {
            var direction = query.Ascending ? "ASC" : "DESC";
            var nulls = query.Ascending ? "NULLS FIRST" : "NULLS LAST";
            sql.Add("$limit", (long)query.MaxResults + 1);
            sql.Add("$offset", offset);
            var jobs = db.ReadSearching(session => session.Query(
                $"SELECT job FROM (SELECT job, name, creation_time, {key} AS sort_key FROM training_jobs WHERE {filter}) "
                + $"ORDER BY sort_key IS NOT NULL {direction}, kiln_search_number(sort_key) {direction} {nulls}, kiln_search_text(sort_key) {direction}, creation_time {direction}, name {direction} "
                + "LIMIT $limit OFFSET $offset",
                reader => JsonSerializer.Deserialize<TrainingJob>(reader.GetString(0), Json)!,
                sql.Parameters.ToArray()));
            return Task.FromResult(Tracking.SqliteTrackingStore.Paged(jobs, query.MaxResults, offset));
        }

        // SQL narrows what it can; the rest of the filter and the order are the domain's in-memory evaluation.
        var candidates = db.ReadSearching(session => session.Query(
            $"SELECT job FROM training_jobs WHERE {filter} ORDER BY creation_time ASC, name ASC",
            reader => reader.GetString(0),
            sql.Parameters.ToArray()));
        var page = PropertySearch.Run(candidates, query with { Where = residual }, json => JsonSerializer.Deserialize<JsonElement>(json));
        return Task.FromResult(new Page<TrainingJob>(page.Items.Select(json => JsonSerializer.Deserialize<TrainingJob>(json, Json)!).ToList(), page.NextPageToken));
    }

    private static TrainingJob? Load(SqliteSession session, string name)
    {
        var json = (string?)session.Scalar("SELECT job FROM training_jobs WHERE name = $name", ("$name", name));
        return json is null ? null : JsonSerializer.Deserialize<TrainingJob>(json, Json);
    }
}
