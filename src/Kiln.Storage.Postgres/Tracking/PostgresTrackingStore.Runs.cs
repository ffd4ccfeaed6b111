using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Npgsql;

namespace Kiln.Storage.Postgres.Tracking;

public sealed partial class PostgresTrackingStore
{
    private const string RunColumns =
        "r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage";

    public async Task<Run> CreateRunAsync(NewRun run, CancellationToken ct = default)
    {
        await _db.WriteAsync(async session =>
        {
            await session.ExecuteAsync(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri) " +
                "VALUES (@id, @name, @experiment, @user, 'RUNNING', @start, NULL, 'active', @uri)",
                ("id", run.RunId), ("name", run.RunName), ("experiment", ExperimentKey(run.ExperimentId)),
                ("user", run.UserId), ("start", run.StartTime), ("uri", run.ArtifactUri)).ConfigureAwait(false);
            foreach (var tag in run.Tags)
            {
                await UpsertTag(session, run.RunId, tag).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);

        return (await FindRunAsync(run.RunId, ct).ConfigureAwait(false))!;
    }

    public async Task<Run?> FindRunAsync(string runId, CancellationToken ct = default) =>
        (await _db.ReadAsync(session => LoadRuns(session, "WHERE r.run_uuid = @id", [("id", runId)]), ct).ConfigureAwait(false)).FirstOrDefault();

    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            await RequireActiveRun(session, runId).ConfigureAwait(false);
            await session.ExecuteAsync(
                "UPDATE runs SET status = coalesce(@status, status), end_time = coalesce(@end::bigint, end_time), name = coalesce(@name, name) WHERE run_uuid = @id",
                ("status", status is null ? null : StatusText(status.Value)), ("end", endTime), ("name", runName), ("id", runId)).ConfigureAwait(false);
            if (runName is not null)
            {
                await UpsertTag(session, runId, new Tag(SystemTags.RunName, runName)).ConfigureAwait(false);
            }

            return (await session.QueryAsync($"SELECT {RunColumns} FROM runs r WHERE r.run_uuid = @id", ReadRunInfo, ("id", runId)).ConfigureAwait(false))[0];
        }, ct);

    public Task SetRunLifecycleAsync(string runId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        _db.WriteAsync(session => session.ExecuteAsync(
            "UPDATE runs SET lifecycle_stage = @stage, deleted_time = @deleted::bigint WHERE run_uuid = @id",
            ("stage", StageText(stage)), ("deleted", stage == LifecycleStage.Deleted ? now : null), ("id", runId)), ct);

    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            await RequireActiveRun(session, runId).ConfigureAwait(false);
            await LogParams(session, runId, parameters, singleParam: parameters.Count == 1 && metrics.Count == 0 && tags.Count == 0).ConfigureAwait(false);
            foreach (var tag in tags)
            {
                await UpsertTag(session, runId, tag).ConfigureAwait(false);
            }

            if (metrics.Count > 0)
            {
                // One statement for the whole batch: the points travel as arrays and unnest() turns them into rows.
                await session.ExecuteAsync(
                    "INSERT INTO metrics (run_uuid, key, value, timestamp, step, is_nan) SELECT @id, * FROM unnest(@keys, @values, @timestamps, @steps, @nans) ON CONFLICT DO NOTHING",
                    ("id", runId), ("keys", metrics.Select(m => m.Key).ToArray()), ("values", metrics.Select(m => double.IsNaN(m.Value) ? 0.0 : m.Value).ToArray()),
                    ("timestamps", metrics.Select(m => m.Timestamp).ToArray()), ("steps", metrics.Select(m => m.Step).ToArray()),
                    ("nans", metrics.Select(m => double.IsNaN(m.Value)).ToArray())).ConfigureAwait(false);
            }

            // Only each key's greatest point can change the latest value: one upsert per key, not per point.
            foreach (var latest in metrics.GroupBy(metric => metric.Key).Select(group => group.MaxBy(LatestOrder)!))
            {
                await UpsertLatestMetric(session, runId, latest).ConfigureAwait(false);
            }
        }, ct);

    /// <summary>MLflow's order for "latest": step, then timestamp, then value (NaN lowest).</summary>
    private static (long, long, double) LatestOrder(Metric metric) =>
        (metric.Step, metric.Timestamp, double.IsNaN(metric.Value) ? 0.0 : metric.Value);

    public Task DeleteTagAsync(string runId, string key, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            await RequireActiveRun(session, runId).ConfigureAwait(false);
            if (await session.ExecuteAsync("DELETE FROM tags WHERE run_uuid = @id AND key = @key", ("id", runId), ("key", key)).ConfigureAwait(false) == 0)
            {
                throw KilnException.NotFound($"No tag with name: {key} in run with id {runId}");
            }
        }, ct);

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct = default) =>
        _db.WriteAsync(async session =>
        {
            var experimentId = await RequireActiveRun(session, runId).ConfigureAwait(false);
            foreach (var input in inputs)
            {
                var dataset = input.Dataset;
                // Insert-or-read in one statement each, so nodes logging the same dataset at once agree on its id.
                await session.ExecuteAsync(
                    "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) VALUES (@id, @experiment, @name, @digest, @type, @source, @schema, @profile) ON CONFLICT DO NOTHING",
                    ("id", Guid.NewGuid().ToString("N")), ("experiment", experimentId), ("name", dataset.Name), ("digest", dataset.Digest),
                    ("type", dataset.SourceType), ("source", dataset.Source), ("schema", dataset.Schema), ("profile", dataset.Profile)).ConfigureAwait(false);
                var datasetId = (string)(await session.ScalarAsync(
                    "SELECT dataset_uuid FROM datasets WHERE experiment_id = @experiment AND name = @name AND digest = @digest",
                    ("experiment", experimentId), ("name", dataset.Name), ("digest", dataset.Digest)).ConfigureAwait(false))!;

                var inputId = Guid.NewGuid().ToString("N");
                if (await session.ExecuteAsync(
                    "INSERT INTO run_inputs (input_uuid, dataset_uuid, run_uuid) VALUES (@id, @dataset, @run) ON CONFLICT DO NOTHING",
                    ("id", inputId), ("dataset", datasetId), ("run", runId)).ConfigureAwait(false) == 0)
                {
                    continue;
                }

                foreach (var tag in input.Tags)
                {
                    await session.ExecuteAsync(
                        "INSERT INTO run_input_tags (input_uuid, name, value) VALUES (@id, @name, @value) ON CONFLICT (input_uuid, name) DO UPDATE SET value = excluded.value",
                        ("id", inputId), ("name", tag.Key), ("value", tag.Value)).ConfigureAwait(false);
                }
            }
        }, ct);

    public async Task<Page<Metric>> GetMetricHistoryAsync(string runId, string key, int maxResults, string? pageToken, CancellationToken ct = default)
    {
        var offset = PageToken.Decode(pageToken);
        var rows = await _db.ReadAsync(session => session.QueryAsync(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = @id AND key = @key ORDER BY timestamp, step, value LIMIT @limit OFFSET @offset",
            reader => ReadMetric(reader, 0),
            ("id", runId), ("key", key), ("limit", (long)maxResults + 1), ("offset", offset)), ct).ConfigureAwait(false);
        return PostgresListing.Paged(rows, maxResults, offset);
    }

    /// <summary>Checks the run exists and is active (locking it against concurrent changes); returns its experiment id.</summary>
    private static async Task<long> RequireActiveRun(PostgresSession session, string runId)
    {
        var row = await session.QuerySingleAsync(
            "SELECT lifecycle_stage, experiment_id FROM runs WHERE run_uuid = @id FOR UPDATE",
            reader => new Tuple<string, long>(reader.GetString(0), reader.GetInt64(1)),
            ("id", runId)).ConfigureAwait(false) ?? throw KilnException.NotFound($"Run with id={runId} not found");
        if (row.Item1 != "active")
        {
            throw KilnException.InvalidParameter($"The run {runId} must be in the 'active' state. Current state is {row.Item1}.");
        }

        return row.Item2;
    }

    private static async Task LogParams(PostgresSession session, string runId, IReadOnlyList<Param> parameters, bool singleParam)
    {
        var conflicts = new List<(Param Param, string OldValue)>();
        foreach (var param in parameters)
        {
            var inserted = await session.ExecuteAsync(
                "INSERT INTO params (run_uuid, key, value) VALUES (@id, @key, @value) ON CONFLICT (run_uuid, key) DO NOTHING",
                ("id", runId), ("key", param.Key), ("value", param.Value)).ConfigureAwait(false);
            if (inserted == 0)
            {
                var existing = (string)(await session.ScalarAsync("SELECT value FROM params WHERE run_uuid = @id AND key = @key", ("id", runId), ("key", param.Key)).ConfigureAwait(false))!;
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

    private static async Task UpsertTag(PostgresSession session, string runId, Tag tag)
    {
        await session.ExecuteAsync(
            "INSERT INTO tags (run_uuid, key, value) VALUES (@id, @key, @value) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value",
            ("id", runId), ("key", tag.Key), ("value", tag.Value)).ConfigureAwait(false);
        if (tag.Key == SystemTags.RunName)
        {
            await session.ExecuteAsync("UPDATE runs SET name = @name WHERE run_uuid = @id", ("name", tag.Value), ("id", runId)).ConfigureAwait(false);
        }
    }

    private static Task<int> UpsertLatestMetric(PostgresSession session, string runId, Metric metric)
    {
        var isNan = double.IsNaN(metric.Value);
        // The latest point is the greatest (step, timestamp, value), whatever order points arrive in.
        return session.ExecuteAsync(
            "INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES (@id, @key, @value, @ts, @step, @nan) " +
            "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan " +
            "WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)",
            ("id", runId), ("key", metric.Key), ("value", isNan ? 0.0 : metric.Value), ("ts", metric.Timestamp), ("step", metric.Step), ("nan", isNan));
    }

    /// <summary>Loads runs matching <paramref name="condition"/> (which may order and limit) with their data, in query order.</summary>
    private static async Task<List<Run>> LoadRuns(PostgresSession session, string condition, (string, object?)[] parameters)
    {
        var infos = await session.QueryAsync($"SELECT {RunColumns} FROM runs r {condition}", ReadRunInfo, parameters).ConfigureAwait(false);
        if (infos.Count == 0)
        {
            return [];
        }

        var ids = infos.Select(info => info.RunId).ToArray();
        const string InIds = "run_uuid = ANY(@ids) ORDER BY run_uuid, key";
        var metrics = (await session.QueryAsync(
                $"SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE {InIds}",
                reader => (Run: reader.GetString(0), Metric: ReadMetric(reader, 1)),
                ("ids", ids)).ConfigureAwait(false))
            .ToLookup(row => row.Run, row => row.Metric);
        var parameterLists = (await session.QueryAsync(
                $"SELECT run_uuid, key, value FROM params WHERE {InIds}",
                reader => (Run: reader.GetString(0), Param: new Param(reader.GetString(1), reader.GetString(2))),
                ("ids", ids)).ConfigureAwait(false))
            .ToLookup(row => row.Run, row => row.Param);
        var tags = (await session.QueryAsync(
                $"SELECT run_uuid, key, value FROM tags WHERE {InIds}",
                reader => (Run: reader.GetString(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))),
                ("ids", ids)).ConfigureAwait(false))
            .ToLookup(row => row.Run, row => row.Tag);
        var inputs = await LoadInputs(session, ids).ConfigureAwait(false);

        return infos.Select(info => new Run(
            info,
            new RunData(metrics[info.RunId].ToList(), parameterLists[info.RunId].ToList(), tags[info.RunId].ToList()),
            inputs[info.RunId].ToList())).ToList();
    }

    private static async Task<ILookup<string, DatasetInput>> LoadInputs(PostgresSession session, string[] runIds)
    {
        var rows = await session.QueryAsync(
            "SELECT i.run_uuid, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile " +
            "FROM run_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid = ANY(@ids) ORDER BY i.position",
            reader => (Run: reader.GetString(0), Input: reader.GetString(1),
                Dataset: new Dataset(reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), NullableString(reader, 6), NullableString(reader, 7))),
            ("ids", runIds)).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return Array.Empty<(string, DatasetInput)>().ToLookup(row => row.Item1, row => row.Item2);
        }

        var inputTags = (await session.QueryAsync(
                "SELECT input_uuid, name, value FROM run_input_tags WHERE input_uuid = ANY(@inputs) ORDER BY name",
                reader => (Input: reader.GetString(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))),
                ("inputs", rows.Select(row => row.Input).ToArray())).ConfigureAwait(false))
            .ToLookup(row => row.Input, row => row.Tag);
        return rows.ToLookup(row => row.Run, row => new DatasetInput(row.Dataset, inputTags[row.Input].ToList()));
    }

    private static RunInfo ReadRunInfo(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        reader.GetString(2),
        reader.GetString(3),
        ParseStatus(reader.GetString(4)),
        reader.IsDBNull(5) ? null : reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetInt64(6),
        reader.GetString(7),
        ParseStage(reader.GetString(8)));

    private static Metric ReadMetric(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetBoolean(first + 4) ? double.NaN : reader.GetDouble(first + 1),
        reader.GetInt64(first + 2),
        reader.GetInt64(first + 3));

    private static string StatusText(RunStatus status) => status.ToString().ToUpperInvariant();

    private static RunStatus ParseStatus(string text) => text switch
    {
        "RUNNING" => RunStatus.Running,
        "SCHEDULED" => RunStatus.Scheduled,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        _ => RunStatus.Killed,
    };
}
