using System.Text.Json;
using Kiln.Api.SageMaker.Validation;
using Kiln.Core.Common;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.SageMaker;

/// <summary>
/// The SageMaker API's AWS JSON 1.1 protocol: <c>POST /</c> with <c>X-Amz-Target: SageMaker.&lt;Operation&gt;</c>.
/// Each operation deserializes its request shape, validates it against the model's constraints and
/// hands it to a handler that calls the domain services.
/// </summary>
public static class SageMakerApi
{
    /// <summary>The account id in the ARNs Kiln hands out (one account: this installation).</summary>
    public const string AccountId = Arns.AccountId;

    private const string TargetPrefix = "SageMaker.";
    private static readonly Dictionary<string, Operation> Operations = new(StringComparer.Ordinal);

    static SageMakerApi()
    {
        TrainingJobsApi.Register();
        ServingApi.Register();
        TransformJobsApi.Register();
        TuningApi.Register();
        AutoMLApi.Register();
        ProcessingJobsApi.Register();
        MonitoringApi.Register();
        ModelQualityMonitorApi.Register();
        ClarifyMonitorApi.Register();
        MonitoringAlertsApi.Register();
        RegistryApi.Register();
        PipelinesApi.Register();
        LineageApi.Register();
        ExperimentsApi.Register();
        FeatureStoreApi.Register();
        SearchApi.Register();
        TagsApi.Register();
    }

    /// <summary>Lets pipeline steps call SageMaker operations in-process.</summary>
    public static IServiceCollection AddSageMakerPipelineOperations(this IServiceCollection services) =>
        services.AddSingleton<Core.Pipelines.IPipelineOperations>(provider => new PipelineOperations(provider));

    public static IEndpointRouteBuilder MapSageMakerApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/", DispatchAsync);
        return app;
    }

    internal delegate Task<object?> Handler<TRequest>(TRequest request, SageMakerCall call);

    internal static void Add<TRequest>(string name, Handler<TRequest> handler)
        where TRequest : class =>
        Operations[name] = new Operation(typeof(TRequest), (request, call) => handler((TRequest)request, call));

    private static async Task DispatchAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        try
        {
            var target = http.Request.Headers["X-Amz-Target"].ToString();
            if (target.StartsWith(CloudWatchLogs.CloudWatchLogsApi.TargetPrefix, StringComparison.Ordinal))
            {
                await CloudWatchLogs.CloudWatchLogsApi.DispatchAsync(http, target[CloudWatchLogs.CloudWatchLogsApi.TargetPrefix.Length..]);
                return;
            }

            if (target.StartsWith(Athena.AthenaApi.TargetPrefix, StringComparison.Ordinal))
            {
                await Athena.AthenaApi.DispatchAsync(http, target[Athena.AthenaApi.TargetPrefix.Length..]);
                return;
            }

            if (!target.StartsWith(TargetPrefix, StringComparison.Ordinal))
            {
                throw new SageMakerException("UnknownOperationException", target.Length == 0
                    ? "Missing the X-Amz-Target header: SageMaker calls are POST / with X-Amz-Target: SageMaker.<Operation>."
                    : $"Unknown target {target}.");
            }

            if (!Operations.TryGetValue(target[TargetPrefix.Length..], out var operation))
            {
                throw new SageMakerException("UnknownOperationException", $"The operation {target[TargetPrefix.Length..]} is not supported by Kiln yet.");
            }

            var request = await ReadAsync(http, operation.RequestType);
            ShapeValidator.Validate(request);
            var call = new SageMakerCall(http.RequestServices, AwsCaller.From(http.Request), http.RequestAborted, Security.KilnAuthentication.Caller(http));
            await Security.Permissions.SageMakerPermissionRules.CheckAsync(target[TargetPrefix.Length..], request, call);
            var response = await operation.Invoke(request, call);
            http.Response.ContentType = AwsJson.ContentType;
            await http.Response.Body.WriteAsync(response is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), AwsJson.Options), http.RequestAborted);
        }
        catch (SageMakerException e)
        {
            await WriteErrorAsync(http, e);
        }
        catch (KilnException e)
        {
            await WriteErrorAsync(http, SageMakerException.From(e));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            await WriteErrorAsync(http, SageMakerException.Unavailable(StoreOutage.Message(e)));
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.SageMaker").LogError(e, "SageMaker call failed");
            await WriteErrorAsync(http, new SageMakerException("InternalFailure", $"Internal error: {e.Message}", 500));
        }
    }

    /// <summary>
    /// Runs an operation in-process, the way a pipeline step calls SageMaker: the request as JSON, checked as
    /// an HTTP request would be, the response as JSON. Errors are the same SageMakerExceptions.
    /// </summary>
    internal static async Task<JsonElement> InvokeAsync(IServiceProvider services, AwsCaller caller, string operationName, JsonElement requestJson, CancellationToken ct)
    {
        if (!Operations.TryGetValue(operationName, out var operation))
        {
            throw new SageMakerException("UnknownOperationException", $"The operation {operationName} is not supported by Kiln yet.");
        }

        object request;
        try
        {
            request = requestJson.Deserialize(operation.RequestType, AwsJson.Options)
                ?? throw new SageMakerException("ValidationException", $"{operationName}: the arguments must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new SageMakerException("ValidationException", $"{operationName}: the argument at {e.Path} has the wrong type or is malformed.");
        }

        ShapeValidator.Validate(request);
        try
        {
            var response = await operation.Invoke(request, new SageMakerCall(services, caller, ct));
            return response is null ? JsonDocument.Parse("{}").RootElement : JsonSerializer.SerializeToElement(response, response.GetType(), AwsJson.Options);
        }
        catch (KilnException e)
        {
            throw SageMakerException.From(e);
        }
    }

    private static async Task<object> ReadAsync(HttpContext http, Type type)
    {
        const long MaxBody = 16 * 1024 * 1024;
        if (http.Request.ContentLength > MaxBody)
        {
            throw new SageMakerException("ValidationException", $"The request body is larger than {MaxBody} bytes.", 413);
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        if (body.Length > MaxBody)
        {
            throw new SageMakerException("ValidationException", $"The request body is larger than {MaxBody} bytes.", 413);
        }

        if (body.Length == 0)
        {
            body.Write("{}"u8);
        }

        try
        {
            return JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), type, AwsJson.Options)
                ?? throw new SageMakerException("SerializationException", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new SageMakerException("SerializationException", e.Path is { Length: > 1 }
                ? $"Could not read the request: the value at {e.Path} has the wrong type or is malformed."
                : "Could not read the request: the body is not a valid JSON object.");
        }
    }

    private static Task WriteErrorAsync(HttpContext http, SageMakerException error)
    {
        if (error.Status == 503)
        {
            http.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds;
        }

        return AwsJson.WriteErrorAsync(http.Response, error.Status, error.Type, error.Message);
    }

    private sealed record Operation(Type RequestType, Func<object, SageMakerCall, Task<object?>> Invoke);
}

/// <summary>One SageMaker call in flight: who is calling, and the services that answer it.</summary>
/// <remarks>
/// <paramref name="who"/> is the verified user (<see cref="Core.Security.KilnCaller.Anonymous"/> when authentication is off, and for
/// the calls a pipeline makes in-process, whose rights were checked when the pipeline was created and started).
/// </remarks>
internal sealed class SageMakerCall(IServiceProvider services, AwsCaller caller, CancellationToken aborted, Core.Security.KilnCaller? who = null)
{
    public AwsCaller Caller { get; } = caller;

    public Core.Security.KilnCaller Who { get; } = who ?? Core.Security.KilnCaller.Anonymous;

    public CancellationToken Aborted { get; } = aborted;

    public T Service<T>()
        where T : notnull => services.GetRequiredService<T>();

    public string Arn(string resourceType, string name) =>
        $"arn:aws:sagemaker:{Caller.Region}:{SageMakerApi.AccountId}:{resourceType}/{name.ToLowerInvariant()}";
}
