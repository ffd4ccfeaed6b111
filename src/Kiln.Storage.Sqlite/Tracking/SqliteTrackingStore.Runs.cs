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

            RunInfo? info = null;
            session.Scan($"SELECT {RunColumns} FROM runs r WHERE r.run_uuid = $id", [("$id", runId)], row => info = ReadRunInfo(row));
            return info!;
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

            InsertMetrics(session, runId, metrics);

            // Only each key's greatest point can change the latest value: one upsert per key, not per point.
            foreach (var latest in metrics.GroupBy(metric => metric.Key).Select(group => group.MaxBy(LatestOrder)!))
            {
                UpsertLatestMetric(session, runId, latest);
            }
        }, ct);

    /// <summary>MLflow's order for "latest": step, then timestamp, then value (NaN lowest).</summary>
    private static (long, long, double) LatestOrder(Metric metric) =>
        (metric.Step, metric.Timestamp, double.IsNaN(metric.Value) ? 0.0 : metric.Value);

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

    /// <summary>Multi-row INSERTs in chunks of fixed sizes: far fewer statements per batch, and few distinct SQL texts to prepare.</summary>
    private static void InsertMetrics(SqliteSession session, string runId, IReadOnlyList<Metric> metrics)
    {
        var offset = 0;
        foreach (var size in MetricChunkSizes)
        {
            var values = new object?[size * 6];
            for (; metrics.Count - offset >= size; offset += size)
            {
                for (var i = 0; i < size; i++)
                {
                    var metric = metrics[offset + i];
                    var isNan = double.IsNaN(metric.Value);
                    values[i * 6] = runId;
                    values[(i * 6) + 1] = metric.Key;
                    values[(i * 6) + 2] = isNan ? 0.0 : metric.Value;
                    values[(i * 6) + 3] = metric.Timestamp;
                    values[(i * 6) + 4] = metric.Step;
                    values[(i * 6) + 5] = isNan;
                }

                session.ExecutePositional(MetricInsertSql[size], values);
            }
        }
    }

    private static readonly int[] MetricChunkSizes = [100, 10, 1];

    private static readonly Dictionary<int, string> MetricInsertSql = MetricChunkSizes.ToDictionary(
        size => size,
        size => "INSERT OR IGNORE INTO metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES " +
                string.Join(", ", Enumerable.Repeat("(?, ?, ?, ?, ?, ?)", size)));

    private static void UpsertLatestMetric(SqliteSession session, string runId, Metric metric)
    {
        var isNan = double.IsNaN(metric.Value);
        var value = isNan ? 0.0 : metric.Value;
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
        var infos = new List<RunInfo>();
        session.Scan($"SELECT {RunColumns} FROM runs r {condition}", parameters.ToArray(), row => infos.Add(ReadRunInfo(row)));
        if (infos.Count == 0)
        {
            return [];
        }

        var position = new Dictionary<string, int>(infos.Count, StringComparer.Ordinal);
        var metrics = new List<Metric>[infos.Count];
        var parameterLists = new List<Param>[infos.Count];
        var tags = new List<Tag>[infos.Count];
        for (var i = 0; i < infos.Count; i++)
        {
            position[infos[i].RunId] = i;
            metrics[i] = [];
            parameterLists[i] = [];
            tags[i] = [];
        }

        (string, object?)[] ids = [("$ids", System.Text.Json.JsonSerializer.Serialize(infos.Select(info => info.RunId)))];
        const string InIds = "run_uuid IN (SELECT value FROM json_each($ids)) ORDER BY run_uuid, key";
        session.Scan(
            $"SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE {InIds}",
            ids,
            row => metrics[position[row.Text(0)]].Add(ReadMetric(row, 1)));
        session.Scan(
            $"SELECT run_uuid, key, value FROM params WHERE {InIds}",
            ids,
            row => parameterLists[position[row.Text(0)]].Add(new Param(row.Text(1), row.Text(2))));
        session.Scan(
            $"SELECT run_uuid, key, value FROM tags WHERE {InIds}",
            ids,
            row => tags[position[row.Text(0)]].Add(new Tag(row.Text(1), row.Text(2))));
        var inputs = LoadInputs(session, ids[0]);

        return infos.Select((info, i) => new Run(info, new RunData(metrics[i], parameterLists[i], tags[i]), inputs[info.RunId].ToList())).ToList();
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

    private static RunInfo ReadRunInfo(SqliteRow row) => new(
        row.Text(0),
        row.Text(1),
        row.Text(2),
        row.Text(3),
        ParseStatus(row.Text(4)),
        row.IsNull(5) ? null : row.Int64(5),
        row.IsNull(6) ? null : row.Int64(6),
        row.Text(7),
        ParseStage(row.Text(8)));

    private static Metric ReadMetric(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetBoolean(4) ? double.NaN : reader.GetDouble(1),
        reader.GetInt64(2),
        reader.GetInt64(3));

    private static Metric ReadMetric(SqliteRow row, int first) => new(
        row.Text(first),
        row.Int64(first + 4) != 0 ? double.NaN : row.Double(first + 1),
        row.Int64(first + 2),
        row.Int64(first + 3));

    internal static string StatusText(RunStatus status) => status.ToString().ToUpperInvariant();

    private static RunStatus ParseStatus(string text) => text switch
    {
        "RUNNING" => RunStatus.Running,
        "SCHEDULED" => RunStatus.Scheduled,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        _ => RunStatus.Killed,
    };
}
