using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Storage.Sql;
using Npgsql;

namespace Kiln.Storage.Postgres.Tracking;

/// <summary>Experiments and runs in PostgreSQL. This part holds experiments; runs and search live in the other parts.</summary>
public sealed partial class PostgresTrackingStore : ITrackingStore
{
    private readonly PostgresDatabase _db;
    private readonly string _defaultArtifactRoot;

    /// <param name="defaultArtifactRoot">Where experiments created without an artifact location keep artifacts, e.g. <c>mlflow-artifacts:</c>.</param>
    public PostgresTrackingStore(PostgresDatabase db, string defaultArtifactRoot, TimeProvider clock)
    {
        _db = db;
        _defaultArtifactRoot = defaultArtifactRoot.TrimEnd('/');
        // Every node starting on the database tries; the first one's insert wins.
        _db.WriteAsync(session => session.ExecuteAsync(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (0, 'Default', @location, 'active', @now, @now) ON CONFLICT DO NOTHING",
            ("location", $"{_defaultArtifactRoot}/0"), ("now", clock.GetUtcNow().ToUnixTimeMilliseconds()))).GetAwaiter().GetResult();
    }

    public Task<string> CreateExperimentAsync(string name, string? artifactLocation, IReadOnlyList<Tag> tags, long now, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var inserted = await session.ScalarAsync(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (@name, '', 'active', @now, @now) ON CONFLICT (name) DO NOTHING RETURNING experiment_id",
                ("name", name), ("now", now)).ConfigureAwait(false);
            if (inserted is not long id)
            {
                throw KilnException.AlreadyExists($"Experiment(name={name}) already exists. Error: (psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint \"experiments_name_key\"");
            }

            var idText = id.ToString(CultureInfo.InvariantCulture);
            await session.ExecuteAsync(
                "UPDATE experiments SET artifact_location = @location WHERE experiment_id = @id",
                ("location", artifactLocation ?? $"{_defaultArtifactRoot}/{idText}"), ("id", id)).ConfigureAwait(false);
            foreach (var tag in tags)
            {
                await UpsertExperimentTag(session, id, tag).ConfigureAwait(false);
            }

            return idText;
        }, ct);

    public async Task<Experiment?> FindExperimentAsync(string experimentId, CancellationToken ct = default) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? (await _db.ReadAsync(session => LoadExperiments(session, "WHERE e.experiment_id = @id", [("id", id)]), ct).ConfigureAwait(false)).FirstOrDefault()
            : null;

    public async Task<Experiment?> FindExperimentByNameAsync(string name, CancellationToken ct = default) =>
        (await _db.ReadAsync(session => LoadExperiments(session, "WHERE e.name = @name", [("name", name)]), ct).ConfigureAwait(false)).FirstOrDefault();

    public async Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct = default)
    {
        var sql = new PostgresSqlBuilder();
        var search = MlflowSearchSql.Experiments(sql, query);
        var experiments = await _db.ReadAsync(session => LoadExperiments(session, search.Condition, sql.Parameters), ct).ConfigureAwait(false);
        return SqlPaging.Paged(experiments, query.MaxResults, search.Offset);
    }

    public Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var id = ExperimentKey(experimentId);
            if (await session.ScalarAsync("SELECT 1 FROM experiments WHERE name = @name AND experiment_id <> @id", ("name", newName), ("id", id)).ConfigureAwait(false) is not null)
            {
                throw KilnException.AlreadyExists($"Experiment(name={newName}) already exists. Error: (psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint \"experiments_name_key\"");
            }

            await session.ExecuteAsync(
                "UPDATE experiments SET name = @name, last_update_time = @now WHERE experiment_id = @id",
                ("name", newName), ("now", now), ("id", id)).ConfigureAwait(false);
        }, ct);

    public Task SetExperimentLifecycleAsync(string experimentId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var id = ExperimentKey(experimentId);
            await session.ExecuteAsync(
                "UPDATE experiments SET lifecycle_stage = @stage, last_update_time = @now WHERE experiment_id = @id",
                ("stage", StageText(stage)), ("now", now), ("id", id)).ConfigureAwait(false);
            // As in MLflow, an experiment's runs follow it: deleting it deletes them all, restoring restores them all.
            await session.ExecuteAsync(
                stage == LifecycleStage.Deleted
                    ? "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = @now WHERE experiment_id = @id AND lifecycle_stage = 'active'"
                    : "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = @id AND lifecycle_stage = 'deleted' AND @now::bigint IS NOT NULL",
                ("now", now), ("id", id)).ConfigureAwait(false);
        }, ct);

    public Task SetExperimentTagAsync(string experimentId, Tag tag, long now, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var id = ExperimentKey(experimentId);
            await UpsertExperimentTag(session, id, tag).ConfigureAwait(false);
            await session.ExecuteAsync("UPDATE experiments SET last_update_time = @now WHERE experiment_id = @id", ("now", now), ("id", id)).ConfigureAwait(false);
        }, ct);

    public Task DeleteExperimentTagAsync(string experimentId, string key, long now, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var id = ExperimentKey(experimentId);
            await session.ExecuteAsync("DELETE FROM experiment_tags WHERE experiment_id = @id AND key = @key", ("id", id), ("key", key)).ConfigureAwait(false);
            await session.ExecuteAsync("UPDATE experiments SET last_update_time = @now WHERE experiment_id = @id", ("now", now), ("id", id)).ConfigureAwait(false);
        }, ct);

    private static Task<int> UpsertExperimentTag(PostgresSession session, long experimentId, Tag tag) =>
        session.ExecuteAsync(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (@id, @key, @value) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
            ("id", experimentId), ("key", tag.Key), ("value", tag.Value));

    private static async Task<List<Experiment>> LoadExperiments(PostgresSession session, string condition, (string, object?)[] parameters)
    {
        var rows = await session.QueryAsync(
            $"SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time FROM experiments e {condition}",
            reader => (
                Id: reader.GetInt64(0),
                Name: reader.GetString(1),
                Location: reader.GetString(2),
                Stage: ParseStage(reader.GetString(3)),
                Created: reader.GetInt64(4),
                Updated: reader.GetInt64(5)),
            parameters).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return [];
        }

        var tags = (await session.QueryAsync(
                "SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id = ANY(@ids) ORDER BY key",
                reader => (Id: reader.GetInt64(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))),
                ("ids", rows.Select(row => row.Id).ToArray())).ConfigureAwait(false))
            .ToLookup(row => row.Id, row => row.Tag);
        return rows.Select(row => new Experiment(
                row.Id.ToString(CultureInfo.InvariantCulture), row.Name, row.Location, row.Stage, row.Created, row.Updated, tags[row.Id].ToList()))
            .ToList();
    }

    private static long ExperimentKey(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw KilnException.NotFound($"No Experiment with id={experimentId} exists");

    private static string StageText(LifecycleStage stage) => stage == LifecycleStage.Active ? "active" : "deleted";

    private static LifecycleStage ParseStage(string text) => text == "active" ? LifecycleStage.Active : LifecycleStage.Deleted;

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
