using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.MLflow;

/// <summary>
/// The MLflow REST API 2.0: one route table (tracking + registry) served under MLflow's prefixes,
/// plus the artifact proxy. Requests are parsed here; handlers only translate to service calls.
/// </summary>
public static class MlflowApi
{
    /// <summary>JSON requests beyond this size are refused before parsing (artifact uploads are streamed and not limited).</summary>
    public const long MaxJsonBodyBytes = 16 * 1024 * 1024;

    /// <summary>The URI scheme of artifacts Kiln serves itself; experiments without an artifact location get <c>mlflow-artifacts:/{id}</c>.</summary>
    public const string ArtifactScheme = "mlflow-artifacts:";

    private static readonly string[] Prefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/2.0/preview/mlflow/"];

    /// <summary>Middleware the MLflow API needs ahead of routing.</summary>
    public static IApplicationBuilder UseMlflowApi(this IApplicationBuilder app) =>
        Security.Permissions.ArtifactProxyPermissions.UseArtifactProxyPermissions(app.UseArtifactPathGuard());

    public static IEndpointRouteBuilder MapMlflowApi(this IEndpointRouteBuilder app)
    {
        var routes = MlflowTrackingApi.Routes.Concat(MlflowRegistryApi.Routes).Concat(Security.Permissions.MlflowAuthApi.Routes)
            .Select(Security.Permissions.MlflowPermissionRules.Guard).ToList();
        foreach (var path in routes.GroupBy(route => route.Path))
        {
            var byMethod = path.ToDictionary(route => route.Method, route => route.Handler, StringComparer.OrdinalIgnoreCase);
            foreach (var prefix in Prefixes)
            {
                app.Map(prefix + path.Key, http => DispatchAsync(http, byMethod)).WithName(prefix == Prefixes[0] ? "mlflow:" + path.Key : $"{prefix}{path.Key}");
            }
        }

        foreach (var prefix in Prefixes)
        {
            app.Map(prefix + "{**rest}", http => MlflowErrors.WriteAsync(
                http.Response, "ENDPOINT_NOT_FOUND", 404, $"No API endpoint at {http.Request.Method} {http.Request.Path}"));
        }

        MlflowArtifactsApi.Map(app);
        return app;
    }

    internal static async Task DispatchAsync(HttpContext http, Dictionary<string, MlflowHandler> byMethod)
    {
        // MLflow clients send GET requests with a JSON body too; treat HEAD like GET.
        var method = http.Request.Method == "HEAD" ? "GET" : http.Request.Method;
        if (!byMethod.TryGetValue(method, out var handler) && !(method == "GET" && byMethod.TryGetValue("POST", out handler)))
        {
            await MlflowErrors.WriteAsync(http.Response, "BAD_REQUEST", 405,
                $"The method {http.Request.Method} is not allowed for {http.Request.Path}; use {string.Join(" or ", byMethod.Keys)}.");
            return;
        }

        try
        {
            var request = await ReadRequestAsync(http);
            using var buffer = new PooledBufferWriter();
            await using (var json = new Utf8JsonWriter(buffer))
            {
                await handler(new MlflowCall(http, request, json));
            }

            http.Response.ContentType = "application/json";
            http.Response.ContentLength = buffer.WrittenCount;
            await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
        }
        catch (KilnException e)
        {
            await MlflowErrors.WriteAsync(http.Response, e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await MlflowErrors.WriteAsync(http.Response, "RESOURCE_LIMIT_EXCEEDED", 413,
                $"Request body is larger than the limit of {MaxJsonBodyBytes} bytes.");
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            await MlflowErrors.WriteAsync(http.Response, "TEMPORARILY_UNAVAILABLE", 503, StoreOutage.Message(e));
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.MLflow").LogError(e, "MLflow API call {Path} failed", http.Request.Path);
            await MlflowErrors.WriteAsync(http.Response, "INTERNAL_ERROR", 500, $"Internal error: {e.Message}");
        }
    }

    /// <summary>GET reads the query string (or a JSON body when there is no query); other methods read a JSON body, or the query when there is no body.</summary>
    private static async Task<MlflowRequest> ReadRequestAsync(HttpContext http)
    {
        var hasBody = http.Request.ContentLength > 0 || (http.Request.ContentLength is null && http.Request.Headers.TransferEncoding.Count > 0);
        if ((http.Request.Method is "GET" or "HEAD" && http.Request.QueryString.HasValue) || (!hasBody && http.Request.QueryString.HasValue))
        {
            return MlflowRequest.FromQuery(http.Request.Query);
        }

        if (http.Request.ContentLength > MaxJsonBodyBytes)
        {
            throw new BadHttpRequestException("Request body too large", StatusCodes.Status413PayloadTooLarge);
        }

        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = MaxJsonBodyBytes;
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        if (body.Length == 0)
        {
            return MlflowRequest.FromJson(EmptyObject);
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw KilnException.InvalidParameter($"Malformed JSON in the request body: {e.Message}");
        }

        // Older clients post their JSON double-encoded as a string; MLflow decodes it a second time.
        if (root.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var inner = JsonDocument.Parse(root.GetString()!);
                root = inner.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw KilnException.InvalidParameter($"Malformed JSON in the request body: {e.Message}");
            }
        }

        return root.ValueKind == JsonValueKind.Object
            ? MlflowRequest.FromJson(root)
            : throw KilnException.InvalidParameter($"The request body must be a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}.");
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}
