using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Training;

namespace Kiln.Storage.Postgres.Training;

public sealed class PostgresTrainingJobStore(PostgresDatabase db) : ITrainingJobStore
{
    private static readonly JsonSerializerOptions Json = PostgresDocuments<TrainingJob>.Json;

    public Task CreateAsync(TrainingJob job, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            // ON CONFLICT makes the name check and the insert one step, so two nodes creating the same name cannot both succeed.
            var inserted = await session.ExecuteAsync(
                "INSERT INTO training_jobs (name, status, creation_time, last_modified_time, job) VALUES (@name, @status, @created, @modified, @job::json) ON CONFLICT DO NOTHING",
                ("name", job.Name), ("status", job.Status.ToString()), ("created", job.CreationTime.ToUnixTimeMilliseconds()),
                ("modified", job.LastModifiedTime.ToUnixTimeMilliseconds()), ("job", JsonSerializer.Serialize(job, Json))).ConfigureAwait(false);
            if (inserted == 0)
            {
                throw new KilnException(ErrorCode.ResourceInUse, $"Training job names must be unique within an AWS account and region, and a training job with this name already exists ({Arns.SageMaker(Arns.DefaultRegion, "training-job", job.Name)})");
            }
        }, ct);

    public Task<TrainingJob?> FindAsync(string name, CancellationToken ct = default) =>
        db.ReadAsync(session => Load(session, name, forUpdate: false), ct);

    public Task<TrainingJob?> UpdateAsync(string name, Func<TrainingJob, TrainingJob?> change, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            if (await Load(session, name, forUpdate: true).ConfigureAwait(false) is not { } current || change(current) is not { } changed)
            {
                return null;
            }

            await session.ExecuteAsync(
                "UPDATE training_jobs SET status = @status, last_modified_time = @modified, job = @job::json WHERE name = @name",
                ("status", changed.Status.ToString()), ("modified", changed.LastModifiedTime.ToUnixTimeMilliseconds()),
                ("job", JsonSerializer.Serialize(changed, Json)), ("name", name)).ConfigureAwait(false);
            return changed;
        }, ct);

    public Task<Page<TrainingJob>> ListAsync(ListQuery query, CancellationToken ct = default) =>
        PostgresListing.ReadAsync(db, query, "training_jobs", "job", "last_modified_time", reader => JsonSerializer.Deserialize<TrainingJob>(reader.GetString(0), Json)!, ct);

    /// <summary>
    /// SageMaker's Search over training jobs: the domain's evaluator (<see cref="PropertySearch"/>) filters and orders
    /// the stored documents, so PostgreSQL answers exactly as the in-memory and SQLite stores do.
    /// </summary>
    public async Task<Page<TrainingJob>> SearchAsync(PropertySearchQuery query, CancellationToken ct = default)
    {
        query.Validate();
        var candidates = await db.ReadAsync(session => session.QueryAsync(
            "SELECT job::text FROM training_jobs ORDER BY creation_time ASC, name ASC",
            reader => reader.GetString(0)), ct).ConfigureAwait(false);
        var page = PropertySearch.Run(candidates, query, json => JsonSerializer.Deserialize<JsonElement>(json));
        return new Page<TrainingJob>(page.Items.Select(json => JsonSerializer.Deserialize<TrainingJob>(json, Json)!).ToList(), page.NextPageToken);
    }

    private static async Task<TrainingJob?> Load(PostgresSession session, string name, bool forUpdate) =>
        await session.ScalarAsync($"SELECT job::text FROM training_jobs WHERE name = @name{(forUpdate ? " FOR UPDATE" : "")}", ("name", name)).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<TrainingJob>(json, Json)
            : null;
}
