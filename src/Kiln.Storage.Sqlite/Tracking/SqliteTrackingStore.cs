using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Tracking;

/// <summary>Experiments and runs in SQLite. This part holds experiments; runs and search live in the other parts.</summary>
public sealed partial class SqliteTrackingStore : ITrackingStore
{
    private readonly SqliteDatabase _db;
    private readonly string _defaultArtifactRoot;

    /// <param name="defaultArtifactRoot">Where experiments created without an artifact location keep artifacts, e.g. <c>mlflow-artifacts:</c>.</param>
    public SqliteTrackingStore(SqliteDatabase db, string defaultArtifactRoot, TimeProvider clock)
    {
        _db = db;
        _defaultArtifactRoot = defaultArtifactRoot.TrimEnd('/');
        EnsureDefaultExperiment(clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public Task<string> CreateExperimentAsync(string name, string? artifactLocation, IReadOnlyList<Tag> tags, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            var existing = session.Scalar("SELECT lifecycle_stage FROM experiments WHERE name = $name", ("$name", name));
            if (existing is not null)
            {
                throw KilnException.AlreadyExists($"Experiment(name={name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name");
            }

            var id = Convert.ToInt64(session.Scalar(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES ($name, '', 'active', $now, $now) RETURNING experiment_id",
                ("$name", name), ("$now", now)), CultureInfo.InvariantCulture);
            var idText = id.ToString(CultureInfo.InvariantCulture);
            session.Execute(
                "UPDATE experiments SET artifact_location = $location WHERE experiment_id = $id",
                ("$location", artifactLocation ?? $"{_defaultArtifactRoot}/{idText}"), ("$id", id));
            foreach (var tag in tags)
            {
                UpsertExperimentTag(session, id, tag);
            }

            return idText;
        }, ct);

    public Task<Experiment?> FindExperimentAsync(string experimentId, CancellationToken ct = default)
    {
        if (!long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return Task.FromResult<Experiment?>(null);
        }

        return Task.FromResult(_db.Read(session => LoadExperiments(session, "WHERE e.experiment_id = $id", [("$id", id)]).FirstOrDefault()));
    }

    public Task<Experiment?> FindExperimentByNameAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(_db.Read(session => LoadExperiments(session, "WHERE e.name = $name", [("$name", name)]).FirstOrDefault()));

    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct = default)
    {
        var sql = new SqlBuilder();
        var search = MlflowSearchSql.Experiments(sql, query);
        var experiments = _db.Read(session => LoadExperiments(session, search.Condition, sql.Parameters));
        return Task.FromResult(SqlPaging.Paged(experiments, query.MaxResults, search.Offset));
    }

    public Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            if (session.Scalar("SELECT 1 FROM experiments WHERE name = $name AND experiment_id != $id", ("$name", newName), ("$id", ExperimentKey(experimentId))) is not null)
            {
                throw KilnException.AlreadyExists($"Experiment(name={newName}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name");
            }

            session.Execute(
                "UPDATE experiments SET name = $name, last_update_time = $now WHERE experiment_id = $id",
                ("$name", newName), ("$now", now), ("$id", ExperimentKey(experimentId)));
        }, ct);

    public Task SetExperimentLifecycleAsync(string experimentId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            var id = ExperimentKey(experimentId);
            var stageText = StageText(stage);
            session.Execute(
                "UPDATE experiments SET lifecycle_stage = $stage, last_update_time = $now WHERE experiment_id = $id",
                ("$stage", stageText), ("$now", now), ("$id", id));
            // As in MLflow, an experiment's runs follow it: deleting it deletes them all, restoring restores them all.
            session.Execute(
                stage == LifecycleStage.Deleted
                    ? "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = $now WHERE experiment_id = $id AND lifecycle_stage = 'active'"
                    : "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = $id AND lifecycle_stage = 'deleted' AND $now IS NOT NULL",
                ("$now", now), ("$id", id));
        }, ct);

    public Task SetExperimentTagAsync(string experimentId, Tag tag, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            var id = ExperimentKey(experimentId);
            UpsertExperimentTag(session, id, tag);
            session.Execute("UPDATE experiments SET last_update_time = $now WHERE experiment_id = $id", ("$now", now), ("$id", id));
        }, ct);

    public Task DeleteExperimentTagAsync(string experimentId, string key, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            var id = ExperimentKey(experimentId);
            session.Execute("DELETE FROM experiment_tags WHERE experiment_id = $id AND key = $key", ("$id", id), ("$key", key));
            session.Execute("UPDATE experiments SET last_update_time = $now WHERE experiment_id = $id", ("$now", now), ("$id", id));
        }, ct);

    private void EnsureDefaultExperiment(long now) =>
        _db.WriteAsync(session =>
        {
            if (session.Scalar("SELECT 1 FROM experiments WHERE experiment_id = 0") is null)
            {
                session.Execute(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (0, 'Default', $location, 'active', $now, $now)",
                    ("$location", $"{_defaultArtifactRoot}/0"), ("$now", now));
            }
        }).GetAwaiter().GetResult();

    private static void UpsertExperimentTag(SqliteSession session, long experimentId, Tag tag) =>
        session.Execute(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($id, $key, $value) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
            ("$id", experimentId), ("$key", tag.Key), ("$value", tag.Value));

    private static List<Experiment> LoadExperiments(SqliteSession session, string condition, IEnumerable<(string, object?)> parameters)
    {
        var rows = session.Query(
            $"SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time FROM experiments e {condition}",
            reader => (
                Id: reader.GetInt64(0),
                Name: reader.GetString(1),
                Location: reader.GetString(2),
                Stage: ParseStage(reader.GetString(3)),
                Created: reader.GetInt64(4),
                Updated: reader.GetInt64(5)),
            parameters.ToArray());
        if (rows.Count == 0)
        {
            return [];
        }

        var tags = session.Query(
                "SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (SELECT value FROM json_each($ids)) ORDER BY key",
                reader => (Id: reader.GetInt64(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))),
                ("$ids", "[" + string.Join(",", rows.Select(row => row.Id)) + "]"))
            .ToLookup(row => row.Id, row => row.Tag);
        return rows.Select(row => new Experiment(
                row.Id.ToString(CultureInfo.InvariantCulture), row.Name, row.Location, row.Stage, row.Created, row.Updated, tags[row.Id].ToList()))
            .ToList();
    }

    private static long ExperimentKey(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw KilnException.NotFound($"No Experiment with id={experimentId} exists");

    internal static string StageText(LifecycleStage stage) => stage == LifecycleStage.Active ? "active" : "deleted";

    internal static LifecycleStage ParseStage(string text) => text == "active" ? LifecycleStage.Active : LifecycleStage.Deleted;

    /// <summary>Queries fetch one row more than a page; its presence means there is a next page.</summary>
    internal static Page<T> Paged<T>(List<T> rows, int pageSize, long offset) => SqlPaging.Paged(rows, pageSize, offset);

    internal static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static long? NullableLong(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
