using System.Globalization;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Api.MLflow;

/// <summary>MLflow's tracking service (service.proto): each handler reads the request, makes one service call and writes the response.</summary>
internal static class MlflowTrackingApi
{
    public static IEnumerable<MlflowRoute> Routes =>
    [
        new("POST", "experiments/create", CreateExperiment),
        new("GET", "experiments/get", GetExperiment),
        new("GET", "experiments/get-by-name", GetExperimentByName),
        new("POST", "experiments/search", SearchExperiments),
        new("GET", "experiments/search", SearchExperiments),
        new("GET", "experiments/list", ListExperiments),
        new("POST", "experiments/update", UpdateExperiment),
        new("POST", "experiments/delete", DeleteExperiment),
        new("POST", "experiments/restore", RestoreExperiment),
        new("POST", "experiments/set-experiment-tag", SetExperimentTag),
        new("POST", "experiments/delete-experiment-tag", DeleteExperimentTag),
        new("POST", "runs/create", CreateRun),
        new("GET", "runs/get", GetRun),
        new("POST", "runs/update", UpdateRun),
        new("POST", "runs/delete", DeleteRun),
        new("POST", "runs/restore", RestoreRun),
        new("POST", "runs/log-metric", LogMetric),
        new("POST", "runs/log-parameter", LogParam),
        new("POST", "runs/set-tag", SetTag),
        new("POST", "runs/delete-tag", DeleteTag),
        new("POST", "runs/log-batch", LogBatch),
        new("POST", "runs/log-model", LogModel),
        new("POST", "runs/log-inputs", LogInputs),
        new("POST", "runs/search", SearchRuns),
        new("GET", "runs/search", SearchRuns),
        new("GET", "metrics/get-history", GetMetricHistory),
        new("GET", "artifacts/list", ListArtifacts),
    ];

    private static async Task CreateExperiment(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var id = await call.Tracking.CreateExperimentAsync(name, call.Request.String("artifact_location"), ReadTags(call.Request), call.Aborted);
        await call.GrantCreatorAsync(Kiln.Core.Security.Permissions.ResourceKind.Experiment, id);
        call.Json.WriteStartObject();
        call.Json.WriteString("experiment_id", id);
        call.Json.WriteEndObject();
    }

    private static async Task GetExperiment(MlflowCall call)
    {
        var experiment = await call.Tracking.GetExperimentAsync(call.Request.String("experiment_id", required: true)!, call.Aborted);
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("experiment");
        MlflowJson.Experiment(call.Json, experiment);
        call.Json.WriteEndObject();
    }

    private static async Task GetExperimentByName(MlflowCall call)
    {
        var experiment = await call.Tracking.GetExperimentByNameAsync(call.Request.String("experiment_name", required: true)!, call.Aborted);
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("experiment");
        MlflowJson.Experiment(call.Json, experiment);
        call.Json.WriteEndObject();
    }

    private static async Task SearchExperiments(MlflowCall call)
    {
        var page = await call.Tracking.SearchExperimentsAsync(
            ViewTypeOf(call.Request, "view_type"),
            call.Request.String("filter"),
            call.Request.StringList("order_by"),
            MaxResults(call.Request),
            call.Request.String("page_token"),
            call.Aborted);
        await WriteExperimentPage(call, page);
    }

    /// <summary>MLflow 1.x's experiments/list, removed in 2.0 but still called by older clients (the npm one included).</summary>
    private static async Task ListExperiments(MlflowCall call)
    {
        var page = await call.Tracking.SearchExperimentsAsync(
            ViewTypeOf(call.Request, "view_type"), null, null, MaxResults(call.Request), call.Request.String("page_token"), call.Aborted);
        await WriteExperimentPage(call, page);
    }

    private static async Task WriteExperimentPage(MlflowCall call, Page<Experiment> page)
    {
        var items = await call.ReadableAsync(page.Items, Kiln.Core.Security.Permissions.ResourceKind.Experiment, experiment => experiment.ExperimentId);
        call.Json.WriteStartObject();
        if (items.Count > 0)
        {
            call.Json.WriteStartArray("experiments");
            foreach (var experiment in items)
            {
                MlflowJson.Experiment(call.Json, experiment);
            }

            call.Json.WriteEndArray();
        }

        MlflowJson.OptionalString(call.Json, "next_page_token", page.NextPageToken);
        call.Json.WriteEndObject();
    }

    private static async Task UpdateExperiment(MlflowCall call)
    {
        var id = call.Request.String("experiment_id", required: true)!;
        await call.Tracking.RenameExperimentAsync(id, call.Request.String("new_name", required: true), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteExperiment(MlflowCall call)
    {
        await call.Tracking.DeleteExperimentAsync(call.Request.String("experiment_id", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task RestoreExperiment(MlflowCall call)
    {
        await call.Tracking.RestoreExperimentAsync(call.Request.String("experiment_id", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task SetExperimentTag(MlflowCall call)
    {
        var id = call.Request.String("experiment_id", required: true)!;
        var key = call.Request.String("key", required: true)!;
        var value = call.Request.String("value", required: true)!;
        await call.Tracking.SetExperimentTagAsync(id, new Tag(key, value), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteExperimentTag(MlflowCall call)
    {
        var id = call.Request.String("experiment_id", required: true)!;
        await call.Tracking.DeleteExperimentTagAsync(id, call.Request.String("key", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task CreateRun(MlflowCall call)
    {
        var run = await call.Tracking.CreateRunAsync(
            call.Request.String("experiment_id"),
            call.Request.String("user_id"),
            call.Request.Long("start_time"),
            ReadTags(call.Request),
            call.Request.String("run_name"),
            call.Aborted);
        WriteRun(call, run);
    }

    private static async Task GetRun(MlflowCall call)
    {
        var run = await call.Tracking.GetRunAsync(call.Request.RequiredEither("run_id", "run_uuid"), call.Aborted);
        WriteRun(call, run);
    }

    private static void WriteRun(MlflowCall call, Run run)
    {
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("run");
        MlflowJson.Run(call.Json, run);
        call.Json.WriteEndObject();
    }

    private static async Task UpdateRun(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var info = await call.Tracking.UpdateRunAsync(
            runId, StatusOf(call.Request), call.Request.Long("end_time"), call.Request.String("run_name"), call.Aborted);
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("run_info");
        MlflowJson.RunInfo(call.Json, info);
        call.Json.WriteEndObject();
    }

    private static async Task DeleteRun(MlflowCall call)
    {
        await call.Tracking.DeleteRunAsync(call.Request.String("run_id", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task RestoreRun(MlflowCall call)
    {
        await call.Tracking.RestoreRunAsync(call.Request.String("run_id", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task LogMetric(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        await call.Tracking.LogMetricAsync(runId, ReadMetric(call.Request), call.Aborted);
        call.Empty();
    }

    private static async Task LogParam(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var key = call.Request.String("key", required: true)!;
        await call.Tracking.LogParamAsync(runId, new Param(key, call.Request.String("value") ?? ""), call.Aborted);
        call.Empty();
    }

    private static async Task SetTag(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var key = call.Request.String("key", required: true)!;
        await call.Tracking.SetTagAsync(runId, new Tag(key, call.Request.String("value") ?? ""), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteTag(MlflowCall call)
    {
        var runId = call.Request.String("run_id", required: true)!;
        await call.Tracking.DeleteTagAsync(runId, call.Request.String("key", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task LogBatch(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var metrics = call.Request.Objects("metrics");
        var parameters = call.Request.Objects("params");
        var tags = call.Request.Objects("tags");
        // Count before reading the elements, so an oversized batch is refused for its size first.
        TrackingValidation.BatchLimits(metrics.Count, parameters.Count, tags.Count);
        await call.Tracking.LogBatchAsync(
            runId,
            metrics.Select(ReadMetric).ToList(),
            parameters.Select(p => new Param(p.String("key", required: true)!, p.String("value") ?? "")).ToList(),
            tags.Select(t => new Tag(t.String("key", required: true)!, t.String("value") ?? "")).ToList(),
            call.Aborted);
        call.Empty();
    }

    /// <summary>Appends the model's MLmodel JSON to the run's <c>mlflow.log-model.history</c> tag, as MLflow's stores do.</summary>
    private static async Task LogModel(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var modelJson = call.Request.String("model_json", required: true)!;
        System.Text.Json.Nodes.JsonNode? model;
        try
        {
            model = System.Text.Json.Nodes.JsonNode.Parse(modelJson);
        }
        catch (System.Text.Json.JsonException)
        {
            throw KilnException.InvalidParameter($"Invalid model_json: '{modelJson}' is not JSON.");
        }

        var run = await call.Tracking.GetRunAsync(runId, call.Aborted);
        const string HistoryTag = "mlflow.log-model.history";
        var history = run.Data.Tags.FirstOrDefault(tag => tag.Key == HistoryTag)?.Value;
        var list = history is null ? [] : System.Text.Json.Nodes.JsonNode.Parse(history) as System.Text.Json.Nodes.JsonArray ?? [];
        list.Add(model);
        await call.Tracking.SetTagAsync(runId, new Tag(HistoryTag, list.ToJsonString()), call.Aborted);
        call.Empty();
    }

    private static async Task LogInputs(MlflowCall call)
    {
        var runId = call.Request.String("run_id", required: true)!;
        var inputs = call.Request.Objects("datasets").Select(input =>
        {
            var dataset = input.Object("dataset") ?? throw MlflowRequest.Missing("dataset");
            return new DatasetInput(
                new Dataset(
                    dataset.String("name", required: true)!,
                    dataset.String("digest", required: true)!,
                    dataset.String("source_type", required: true)!,
                    dataset.String("source", required: true)!,
                    dataset.String("schema"),
                    dataset.String("profile")),
                input.Objects("tags").Select(t => new Tag(t.String("key", required: true)!, t.String("value", required: true)!)).ToList());
        }).ToList();
        await call.Tracking.LogInputsAsync(runId, inputs, call.Aborted);
        call.Empty();
    }

    private static async Task SearchRuns(MlflowCall call)
    {
        var page = await call.Tracking.SearchRunsAsync(
            call.Request.StringList("experiment_ids"),
            call.Request.String("filter"),
            ViewTypeOf(call.Request, "run_view_type"),
            MaxResults(call.Request),
            call.Request.StringList("order_by"),
            call.Request.String("page_token"),
            call.Aborted);
        var runs = await call.ReadableAsync(page.Items, Kiln.Core.Security.Permissions.ResourceKind.Experiment, run => run.Info.ExperimentId);
        call.Json.WriteStartObject();
        if (runs.Count > 0)
        {
            call.Json.WriteStartArray("runs");
            foreach (var run in runs)
            {
                MlflowJson.Run(call.Json, run);
            }

            call.Json.WriteEndArray();
        }

        MlflowJson.OptionalString(call.Json, "next_page_token", page.NextPageToken);
        call.Json.WriteEndObject();
    }

    private static async Task GetMetricHistory(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var key = call.Request.String("metric_key", required: true)!;
        var page = await call.Tracking.GetMetricHistoryAsync(runId, key, MaxResults(call.Request), call.Request.String("page_token"), call.Aborted);
        call.Json.WriteStartObject();
        if (page.Items.Count > 0)
        {
            call.Json.WriteStartArray("metrics");
            foreach (var metric in page.Items)
            {
                MlflowJson.Metric(call.Json, metric);
            }

            call.Json.WriteEndArray();
        }

        MlflowJson.OptionalString(call.Json, "next_page_token", page.NextPageToken);
        call.Json.WriteEndObject();
    }

    /// <summary>Lists a run's artifacts (one folder level) when they live in Kiln's own store (mlflow-artifacts:/…).</summary>
    private static async Task ListArtifacts(MlflowCall call)
    {
        var runId = call.Request.RequiredEither("run_id", "run_uuid");
        var path = ArtifactPath.Normalize(call.Request.String("path"));
        var run = await call.Tracking.GetRunAsync(runId, call.Aborted);
        var root = run.Info.ArtifactUri;
        call.Json.WriteStartObject();
        call.Json.WriteString("root_uri", root);
        if (MlflowArtifactsApi.StorePath(root) is { } rootPath)
        {
            var entries = await call.Artifacts.ListAsync(ArtifactPath.Combine(rootPath, path), call.Aborted) ?? [];
            if (entries.Count > 0)
            {
                call.Json.WriteStartArray("files");
                foreach (var entry in entries)
                {
                    MlflowArtifactsApi.WriteFileInfo(call.Json, ArtifactPath.Combine(path, entry.Path[(entry.Path.LastIndexOf('/') + 1)..]), entry);
                }

                call.Json.WriteEndArray();
            }
        }

        call.Json.WriteEndObject();
    }

    private static Metric ReadMetric(MlflowRequest metric) => new(
        metric.String("key", required: true)!,
        metric.Double("value", required: true)!.Value,
        metric.Long("timestamp", required: true)!.Value,
        metric.Long("step") ?? 0);

    private static List<Tag> ReadTags(MlflowRequest request) =>
        request.Objects("tags").Select(tag => new Tag(tag.String("key", required: true)!, tag.String("value") ?? "")).ToList();

    private static int? MaxResults(MlflowRequest request)
    {
        var value = request.Long("max_results");
        if (value is null)
        {
            return null;
        }

        return value is > 0 and <= int.MaxValue
            ? (int)value
            : throw KilnException.InvalidParameter(
                $"Invalid value {value} for parameter 'max_results' supplied. It must be a positive integer.");
    }

    private static ViewType ViewTypeOf(MlflowRequest request, string field)
    {
        var text = request.Has(field) ? RawEnum(request, field) : null;
        return text switch
        {
            null => ViewType.ActiveOnly,
            "ACTIVE_ONLY" or "1" => ViewType.ActiveOnly,
            "DELETED_ONLY" or "2" => ViewType.DeletedOnly,
            "ALL" or "3" => ViewType.All,
            _ => throw KilnException.InvalidParameter(
                $"Invalid value {text} for parameter '{field}' supplied. Valid values are ACTIVE_ONLY, DELETED_ONLY, ALL."),
        };
    }

    private static RunStatus? StatusOf(MlflowRequest request)
    {
        var text = request.Has("status") ? RawEnum(request, "status") : null;
        return text switch
        {
            null => null,
            "RUNNING" or "1" => RunStatus.Running,
            "SCHEDULED" or "2" => RunStatus.Scheduled,
            "FINISHED" or "3" => RunStatus.Finished,
            "FAILED" or "4" => RunStatus.Failed,
            "KILLED" or "5" => RunStatus.Killed,
            _ => throw KilnException.InvalidParameter(
                $"Invalid value {text} for parameter 'status' supplied. Valid values are RUNNING, SCHEDULED, FINISHED, FAILED, KILLED."),
        };
    }

    /// <summary>Protobuf JSON accepts an enum by name or by number.</summary>
    private static string RawEnum(MlflowRequest request, string field)
    {
        try
        {
            return request.String(field)!;
        }
        catch (KilnException)
        {
            return request.Long(field)!.Value.ToString(CultureInfo.InvariantCulture);
        }
    }
}
