using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.Native;

/// <summary>
/// Kiln's own small API for what neither SageMaker nor MLflow covers over HTTP, such as a job's log
/// (SageMaker keeps logs in CloudWatch, a separate service): <c>/api/kiln/…</c>.
/// </summary>
public static partial class NativeApi
{
    private const int MaxChunkBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapNativeApi(this IEndpointRouteBuilder routes)
    {
        var app = routes.MapGroup("").AddEndpointFilter(AnswerFailuresAsJsonAsync);
        app.MapGet("/api/kiln/training-jobs/{name}/logs", ReadLogAsync);
        app.MapPost("/api/kiln/endpoints/{name}/feedback", FeedbackAsync);
        app.MapGet("/api/kiln/endpoints/{name}/traffic", TrafficAsync);
        app.MapGet("/api/kiln/cluster", async (Kiln.Core.Cluster.IClusterStatus cluster, HttpContext http) => Results.Json(await cluster.DescribeAsync(http.RequestAborted)));
        app.MapGet("/api/kiln/transform-jobs/{name}/progress", TransformProgressAsync);
        app.MapGet("/api/kiln/automl-jobs/{name}/reports/{report}", AutoMLReportAsync);
        app.MapGet("/api/kiln/model-packages/{group}/{version:long}", ModelPackageApprovalsAsync);
        app.MapMonitoringReports();
        app.MapPost("/api/kiln/feature-store/datasets", FeatureStoreDatasetsApi.BuildAsync);
        app.MapPost("/api/kiln/monitoring-schedules/{name}/run-now", MonitoringApi.RunNowAsync);
        app.MapGet("/api/kiln/monitoring-schedules/{name}/violations", MonitoringApi.ViolationsAsync);
        return routes;
    }

    /// <summary>
    /// Every answer of this API is JSON, failures too: a store outage is a retryable 503 with <c>Retry-After</c>, and
    /// anything unexpected a 500 that says what went wrong (logged) instead of an empty body.
    /// </summary>
    private static async ValueTask<object?> AnswerFailuresAsJsonAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (!context.HttpContext.Response.HasStarted && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            if (StoreOutage.Is(e))
            {
                context.HttpContext.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds;
                return Results.Json(new { error = StoreOutage.Message(e), retryable = true }, statusCode: 503);
            }

            LogFailed(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(NativeApi)), e, context.HttpContext.Request.Method, context.HttpContext.Request.Path);
            return Results.Json(new { error = $"{e.GetType().Name}: {e.Message}" }, statusCode: 500);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path);

    /// <summary>
    /// Reward feedback for bandit-routed endpoints, by inference id: <c>{"inference_id": "…", "reward": 1}</c>, or
    /// many at once as <c>{"rewards": [{…}, …]}</c>. Rewards are in [0, 1] (1 = success, as a click or a conversion).
    /// </summary>
    private static async Task<IResult> FeedbackAsync(string name, HttpContext http, IEndpointInvoker invoker, ServingService hosting)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException)
        {
            return Results.Json(new { error = "The body must be JSON: {\"inference_id\": \"…\", \"reward\": 1} or {\"rewards\": [ … ]}." }, statusCode: 400);
        }

        using (document)
        {
            try
            {
                await hosting.DescribeEndpointAsync(name, http.RequestAborted);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                return Results.Json(new { error = e.Message }, statusCode: 404);
            }

            var root = document.RootElement;
            var items = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("rewards", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().ToList()
                : [root];
            var accepted = 0;
            var unknown = 0;
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("inference_id", out var id) || id.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("reward", out var reward) || reward.ValueKind != JsonValueKind.Number
                    || reward.GetDouble() is < 0 or > 1)
                {
                    return Results.Json(new { error = "Each reward needs an inference_id (string) and a reward (number between 0 and 1)." }, statusCode: 400);
                }
            }

            foreach (var item in items)
            {
                if (await invoker.RewardAsync(name, item.GetProperty("inference_id").GetString()!, item.GetProperty("reward").GetDouble()))
                {
                    accepted++;
                }
                else
                {
                    unknown++;
                }
            }

            return Results.Json(new FeedbackResult(accepted, unknown));
        }
    }

    /// <summary>Live traffic per variant on this node: invocations, errors, share, weight, replicas, latency, and what a bandit has learned.</summary>
    private static async Task<IResult> TrafficAsync(string name, HttpContext http, IEndpointInvoker invoker, ServingService hosting)
    {
        try
        {
            var endpoint = await hosting.DescribeEndpointAsync(name, http.RequestAborted);
            return Results.Json(new EndpointTrafficReport(endpoint.Name, endpoint.Status.ToString(), invoker.Traffic(name)));
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    /// <summary>
    /// An AutoML job's report as a page a browser shows: data-exploration, candidates, explainability or model-insights.
    /// (The same files are objects under the job's S3 output path; this serves them without S3 signatures.)
    /// </summary>
    private static async Task<IResult> AutoMLReportAsync(string name, string report, HttpContext http, Core.AutoML.AutoMLJobService automl, Core.Objects.ObjectStore objects)
    {
        Core.AutoML.AutoMLJob job;
        try
        {
            job = await automl.DescribeAsync(name, http.RequestAborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }

        var uri = report switch
        {
            "data-exploration" => job.DataExplorationReportUri,
            "candidates" => job.CandidateReportUri,
            "explainability" => job.ExplainabilityUri,
            "model-insights" => job.ModelInsightsUri,
            _ => null,
        };
        if (uri is null || !uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            return Results.Json(new { error = $"The AutoML job {name} has no '{report}' report (reports: data-exploration, candidates, explainability, model-insights; some appear only as the job progresses)." }, statusCode: 404);
        }

        var (bucket, key) = Core.Artifacts.DataUris.S3Location(uri);
        try
        {
            var (_, content) = await objects.GetAsync(bucket, key, http.RequestAborted);
            return Results.Stream(content, uri.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "text/html; charset=utf-8");
        }
        catch (Core.Objects.ObjectStoreException)
        {
            return Results.Json(new { error = $"The report at {uri} is gone." }, statusCode: 404);
        }
    }

    private static async Task<IResult> TransformProgressAsync(string name, HttpContext http, TransformJobService transforms)
    {
        try
        {
            var job = await transforms.DescribeAsync(name, http.RequestAborted);
            return Results.Json(new { job.Name, Status = job.Status.ToString(), job.Progress });
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    /// <summary>Returns the log from byte <c>offset</c> on (at most 256 KiB) and the offset to ask for next: <c>kiln jobs logs --follow</c> polls it.</summary>
    private static async Task<IResult> ReadLogAsync(string name, long? offset, TrainingJobService jobs, ILogFiles logs, HttpContext http)
    {
        try
        {
            var job = await jobs.DescribeAsync(name, http.RequestAborted);
            var path = logs.TrainingJobLog(name);
            var start = Math.Max(0, offset ?? 0);
            if (!File.Exists(path))
            {
                return Results.Json(new LogChunk(start, "", job.IsFinished));
            }

            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            start = Math.Min(start, file.Length);
            file.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[(int)Math.Min(MaxChunkBytes, file.Length - start)];
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, http.RequestAborted);
            // Hand out whole lines only, so a line is never split between two reads.
            var end = read == 0 ? 0 : Array.LastIndexOf(buffer, (byte)'\n', read - 1) + 1;
            var text = Encoding.UTF8.GetString(buffer, 0, end);
            return Results.Json(new LogChunk(start + end, text, job.IsFinished && start + end >= file.Length));
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    /// <summary>A model package's approval history (who, when, why) and what each approval deployed.</summary>
    private static async Task<IResult> ModelPackageApprovalsAsync(string group, long version, HttpContext http, Core.Registry.ModelPackageService packages)
    {
        try
        {
            var package = await packages.DescribePackageAsync(group, version, http.RequestAborted);
            return Results.Json(new ModelPackageApprovals(package.GroupName, package.VersionNumber, package.Details.ApprovalStatus, package.Details.Approvals, package.Details.Deployments));
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist or ErrorCode.InvalidParameterValue)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    private sealed record ModelPackageApprovals(
        string Group,
        long Version,
        string ApprovalStatus,
        IReadOnlyList<Core.Registry.ApprovalEvent> Approvals,
        IReadOnlyList<Core.Registry.ApprovalDeployment> Deployments);

    private sealed record LogChunk(long Offset, string Text, bool Complete);

    private sealed record FeedbackResult(int Accepted, int Unknown);

    private sealed record EndpointTrafficReport(string Endpoint, string Status, EndpointTraffic? Traffic);
}

/// <summary>Where job logs are on this node.</summary>
public interface ILogFiles
{
    string TrainingJobLog(string name);
}
