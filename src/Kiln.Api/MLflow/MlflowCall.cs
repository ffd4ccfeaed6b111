using System.Text.Json;
using Kiln.Core.Artifacts;
using Kiln.Core.Registry;
using Kiln.Core.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.MLflow;

/// <summary>One MLflow API call in flight: its parsed request, the services it may use, and the response body being written.</summary>
internal sealed class MlflowCall(HttpContext http, MlflowRequest request, Utf8JsonWriter json)
{
    public HttpContext Http { get; } = http;

    public MlflowRequest Request { get; } = request;

    public Utf8JsonWriter Json { get; } = json;

    public CancellationToken Aborted => Http.RequestAborted;

    public TrackingService Tracking => Http.RequestServices.GetRequiredService<TrackingService>();

    public RegistryService Registry => Http.RequestServices.GetRequiredService<RegistryService>();

    public IArtifactStore Artifacts => Http.RequestServices.GetRequiredService<IArtifactStore>();

    /// <summary>Writes the empty response object MLflow returns for mutations.</summary>
    public void Empty()
    {
        Json.WriteStartObject();
        Json.WriteEndObject();
    }
}

internal delegate Task MlflowHandler(MlflowCall call);

/// <summary>One row of the route table: method, path under the API prefix, handler.</summary>
internal sealed record MlflowRoute(string Method, string Path, MlflowHandler Handler);
