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

    public Kiln.Core.Security.Permissions.ResourcePermissions Permissions => Http.RequestServices.GetRequiredService<Kiln.Core.Security.Permissions.ResourcePermissions>();

    /// <summary>The items of a search result the caller may read.</summary>
    public Task<IReadOnlyList<T>> ReadableAsync<T>(IReadOnlyList<T> items, Kiln.Core.Security.Permissions.ResourceKind kind, Func<T, string> resourceOf) =>
        Permissions.ReadableAsync(Kiln.Api.Security.KilnAuthentication.Caller(Http), items, kind, resourceOf, Aborted);

    /// <summary>Gives the caller MANAGE on what they just created, as MLflow does.</summary>
    public Task GrantCreatorAsync(Kiln.Core.Security.Permissions.ResourceKind kind, string resource) =>
        Permissions.GrantCreatorAsync(Kiln.Api.Security.KilnAuthentication.Caller(Http), kind, resource, Aborted);

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
