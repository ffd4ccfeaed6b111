using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Tracking;

public sealed partial class SqliteTrackingStore
{
    private const string RunColumns =
        "r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage";

    public async Task<Run> CreateRunAsync(NewRun run, CancellationToken ct = default)
    {
        await _db.WriteAsync(session =>
        {
            session.Execute(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri) " +
                "VALUES ($id, $name, $experiment, $user, 'RUNNING', $start, NULL, 'active', $uri)",
                ("$id", run.RunId), ("$name", run.RunName), ("$experiment", ExperimentKey(run.ExperimentId)),
                ("$user", run.UserId), ("$start", run.StartTime), ("$uri", run.ArtifactUri));
            foreach (var tag in run.Tags)
            {
                UpsertTag(session, run.RunId, tag);
            }
        }, ct).ConfigureAwait(false);

        return (await FindRunAsync(run.RunId, ct).ConfigureAwait(false))!;
    }

    public Task<Run?> FindRunAsync(string runId, CancellationToken ct = default) =>
        Task.FromResult(_db.Read(session => LoadRuns(session, "WHERE r.run_uuid = $id", [("$id", runId)]).FirstOrDefault()));

    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            RequireActiveRun(session, runId);
            session.Execute(
                "UPDATE runs SET status = coalesce($status, status), end_time = coalesce($end, end_time), name = coalesce($name, name) WHERE run_uuid = $id",
                ("$status", status is null ? null : StatusText(status.Value)), ("$end", endTime), ("$name", runName), ("$id", runId));
            if (runName is not null)
            {
                UpsertTag(session, runId, new Tag(SystemTags.RunName, runName));
            }

            return session.QuerySingle($"SELECT {RunColumns} FROM runs r WHERE r.run_uuid = $id", ReadRunInfo, ("$id", runId))!;
        }, ct);

    public Task SetRunLifecycleAsync(string runId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            session.Execute(
                "UPDATE runs SET lifecycle_stage = $stage, deleted_time = $deleted WHERE run_uuid = $id",
                ("$stage", StageText(stage)), ("$deleted", stage == LifecycleStage.Deleted ? now : null), ("$id", runId));
        }, ct);

    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            RequireActiveRun(session, runId);
            LogParams(session, runId, parameters, singleParam: parameters.Count == 1 && metrics.Count == 0 && tags.Count == 0);
            foreach (var tag in tags)
            {
                UpsertTag(session, runId, tag);
            }

            foreach (var metric in metrics)
            {
                InsertMetric(session, runId, metric);
            }
        }, ct);

    public Task DeleteTagAsync(string runId, string key, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            RequireActiveRun(session, runId);
            if (session.Execute("DELETE FROM tags WHERE run_uuid = $id AND key = $key", ("$id", runId), ("$key", key)) == 0)
            {
                throw KilnException.NotFound($"No tag with name: {key} in run with id {runId}");
            }
        }, ct);

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct = default) =>
        _db.WriteAsync(session =>
        {
            var experimentId = RequireActiveRun(session, runId);
            foreach (var input in inputs)
            {
                var dataset = input.Dataset;
                var datasetId = (string?)session.Scalar(
                    "SELECT dataset_uuid FROM datasets WHERE experiment_id = $experiment AND name = $name AND digest = $digest",
                    ("$experiment", experimentId), ("$name", dataset.Name), ("$digest", dataset.Digest));
                if (datasetId is null)
                {
                    datasetId = Guid.NewGuid().ToString("N");
                    session.Execute(
                        "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) VALUES ($id, $experiment, $name, $digest, $type, $source, $schema, $profile)",
                        ("$id", datasetId), ("$experiment", experimentId), ("$name", dataset.Name), ("$digest", dataset.Digest),
                        ("$type", dataset.SourceType), ("$source", dataset.Source), ("$schema", dataset.Schema), ("$profile", dataset.Profile));
                }

                var inputId = (string?)session.Scalar(
                    "SELECT input_uuid FROM run_inputs WHERE run_uuid = $run AND dataset_uuid = $dataset", ("$run", runId), ("$dataset", datasetId));
                if (inputId is not null)
                {
                    continue;
                }

                inputId = Guid.NewGuid().ToString("N");
                session.Execute(
                    "INSERT INTO run_inputs (input_uuid, dataset_uuid, run_uuid) VALUES ($id, $dataset, $run)",
                    ("$id", inputId), ("$dataset", datasetId), ("$run", runId));
                foreach (var tag in input.Tags)
                {
                    session.Execute(
                        "INSERT INTO run_input_tags (input_uuid, name, value) VALUES ($id, $name, $value) ON CONFLICT DO UPDATE SET value = excluded.value",
                        ("$id", inputId), ("$name", tag.Key), ("$value", tag.Value));
                }
            }
        }, ct);

    public Task<Page<Metric>> GetMetricHistoryAsync(string runId, string key, int maxResults, string? pageToken, CancellationToken ct = default)
    {
        var offset = PageToken.Decode(pageToken);
        var rows = _db.Read(session => session.Query(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = $id AND key = $key ORDER BY timestamp, step, value LIMIT $limit OFFSET $offset",
            ReadMetric,
            ("$id", runId), ("$key", key), ("$limit", (long)maxResults + 1), ("$offset", offset)));
        return Task.FromResult(Paged(rows, maxResults, offset));
    }

    /// <summary>Checks the run exists and is active; returns its experiment id.</summary>
    private static long RequireActiveRun(SqliteSession session, string runId)
    {
        var row = session.QuerySingle(
            "SELECT lifecycle_stage, experiment_id FROM runs WHERE run_uuid = $id",
            reader => new Tuple<string, long>(reader.GetString(0), reader.GetInt64(1)),
            ("$id", runId)) ?? throw KilnException.NotFound($"Run with id={runId} not found");
        if (row.Item1 != "active")
        {
            throw KilnException.InvalidParameter($"The run {runId} must be in the 'active' state. Current state is {row.Item1}.");
        }

        return row.Item2;
    }

    private static void LogParams(SqliteSession session, string runId, IReadOnlyList<Param> parameters, bool singleParam)
    {
        var conflicts = new List<(Param Param, string OldValue)>();
        foreach (var param in parameters)
        {
            var inserted = session.Execute(
                "INSERT INTO params (run_uuid, key, value) VALUES ($id, $key, $value) ON CONFLICT (run_uuid, key) DO NOTHING",
                ("$id", runId), ("$key", param.Key), ("$value", param.Value));
            if (inserted == 0)
            {
                var existing = (string)session.Scalar("SELECT value FROM params WHERE run_uuid = $id AND key = $key", ("$id", runId), ("$key", param.Key))!;
                if (existing != param.Value)
                {
                    conflicts.Add((param, existing));
                }
            }
        }

        if (conflicts.Count == 0)
        {
            return;
        }

        // MLflow words the single log-parameter call and the batch call differently; clients match on both.
        if (singleParam)
        {
            var (param, old) = conflicts[0];
            throw KilnException.InvalidParameter(
                $"Changing param values is not allowed. Param with key='{param.Key}' was already logged with value='{old}' for run ID='{runId}'. Attempted logging new value '{param.Value}'.");
        }

        var described = string.Join(", ", conflicts.Select(c => $"{{'key': '{c.Param.Key}', 'old_value': '{c.OldValue}', 'new_value': '{c.Param.Value}'}}"));
        throw KilnException.InvalidParameter(
            $"Changing param values is not allowed. Params were already logged='[{described}]' for run ID='{runId}'.");
    }

    private static void UpsertTag(SqliteSession session, string runId, Tag tag)
    {
        session.Execute(
            "INSERT INTO tags (run_uuid, key, value) VALUES ($id, $key, $value) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value",
            ("$id", runId), ("$key", tag.Key), ("$value", tag.Value));
        if (tag.Key == SystemTags.RunName)
        {
            session.Execute("UPDATE runs SET name = $name WHERE run_uuid = $id", ("$name", tag.Value), ("$id", runId));
        }
    }

    private static void InsertMetric(SqliteSession session, string runId, Metric metric)
    {
        var isNan = double.IsNaN(metric.Value);
        var value = isNan ? 0.0 : metric.Value;
        session.Execute(
            "INSERT OR IGNORE INTO metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES ($id, $key, $value, $ts, $step, $nan)",
            ("$id", runId), ("$key", metric.Key), ("$value", value), ("$ts", metric.Timestamp), ("$step", metric.Step), ("$nan", isNan));
        // The latest point is the greatest (step, timestamp, value), whatever order points arrive in.
        session.Execute(
            "INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES ($id, $key, $value, $ts, $step, $nan) " +
            "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan " +
            "WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)",
            ("$id", runId), ("$key", metric.Key), ("$value", value), ("$ts", metric.Timestamp), ("$step", metric.Step), ("$nan", isNan));
    }

    /// <summary>Loads runs matching <paramref name="condition"/> (which may order and limit) with their data, in query order.</summary>
    private static List<Run> LoadRuns(SqliteSession session, string condition, IEnumerable<(string, object?)> parameters)
    {
        var infos = session.Query($"SELECT {RunColumns} FROM runs r {condition}", ReadRunInfo, parameters.ToArray());
        if (infos.Count == 0)
        {
            return [];
        }

        var ids = ("$ids", (object?)System.Text.Json.JsonSerializer.Serialize(infos.Select(info => info.RunId)));
        const string InIds = "run_uuid IN (SELECT value FROM json_each($ids))";
        var metrics = session.Query(
                $"SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE {InIds} ORDER BY key",
                reader => (Run: reader.GetString(0), Metric: ReadMetric(reader, 1)), ids)
            .ToLookup(row => row.Run, row => row.Metric);
        var parameterRows = session.Query(
                $"SELECT run_uuid, key, value FROM params WHERE {InIds} ORDER BY key",
                reader => (Run: reader.GetString(0), Param: new Param(reader.GetString(1), reader.GetString(2))), ids)
            .ToLookup(row => row.Run, row => row.Param);
        var tags = session.Query(
                $"SELECT run_uuid, key, value FROM tags WHERE {InIds} ORDER BY key",
                reader => (Run: reader.GetString(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))), ids)
            .ToLookup(row => row.Run, row => row.Tag);
        var inputs = LoadInputs(session, ids);

        return infos.Select(info => new Run(
                info,
                new RunData(metrics[info.RunId].ToList(), parameterRows[info.RunId].ToList(), tags[info.RunId].ToList()),
                inputs[info.RunId].ToList()))
            .ToList();
    }

    private static ILookup<string, DatasetInput> LoadInputs(SqliteSession session, (string, object?) ids)
    {
        var rows = session.Query(
            "SELECT i.run_uuid, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile " +
            "FROM run_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid IN (SELECT value FROM json_each($ids)) ORDER BY i.rowid",
            reader => (Run: reader.GetString(0), Input: reader.GetString(1),
                Dataset: new Dataset(reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), NullableString(reader, 6), NullableString(reader, 7))),
            ids);
        if (rows.Count == 0)
        {
            return Array.Empty<(string, DatasetInput)>().ToLookup(row => row.Item1, row => row.Item2);
        }

        var inputTags = session.Query(
                "SELECT input_uuid, name, value FROM run_input_tags WHERE input_uuid IN (SELECT value FROM json_each($inputs)) ORDER BY name",
                reader => (Input: reader.GetString(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))),
                ("$inputs", System.Text.Json.JsonSerializer.Serialize(rows.Select(row => row.Input))))
            .ToLookup(row => row.Input, row => row.Tag);
        return rows.ToLookup(row => row.Run, row => new DatasetInput(row.Dataset, inputTags[row.Input].ToList()));
    }

    private static RunInfo ReadRunInfo(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1).ToString(CultureInfo.InvariantCulture),
        reader.GetString(2),
        reader.GetString(3),
        ParseStatus(reader.GetString(4)),
        NullableLong(reader, 5),
        NullableLong(reader, 6),
        reader.GetString(7),
        ParseStage(reader.GetString(8)));

    private static Metric ReadMetric(SqliteDataReader reader) => ReadMetric(reader, 0);

    private static Metric ReadMetric(SqliteDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetBoolean(first + 4) ? double.NaN : reader.GetDouble(first + 1),
        reader.GetInt64(first + 2),
        reader.GetInt64(first + 3));

    internal static string StatusText(RunStatus status) => status.ToString().ToUpperInvariant();

    private static RunStatus ParseStatus(string text) => Enum.Parse<RunStatus>(text, ignoreCase: true);
}
