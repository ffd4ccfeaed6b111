using Kiln.Core.Common;

namespace Kiln.Core.Hosting;

/// <summary>Models, endpoint configs and endpoints, and the learned state of bandit-routed endpoints.</summary>
public interface IHostingStore
{
    /// <summary>Adds a model; false when the name is taken.</summary>
    Task<bool> AddModelAsync(HostedModel model, CancellationToken ct = default);

    Task<HostedModel?> FindModelAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes a model atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<HostedModel?> UpdateModelAsync(string name, Func<HostedModel, HostedModel?> change, CancellationToken ct = default);

    Task<bool> DeleteModelAsync(string name, CancellationToken ct = default);

    Task<Page<HostedModel>> ListModelsAsync(HostingQuery query, CancellationToken ct = default);

    Task<bool> AddConfigAsync(EndpointConfig config, CancellationToken ct = default);

    Task<EndpointConfig?> FindConfigAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes an endpoint config atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<EndpointConfig?> UpdateConfigAsync(string name, Func<EndpointConfig, EndpointConfig?> change, CancellationToken ct = default);

    Task<bool> DeleteConfigAsync(string name, CancellationToken ct = default);

    Task<Page<EndpointConfig>> ListConfigsAsync(HostingQuery query, CancellationToken ct = default);

    Task<bool> AddEndpointAsync(Endpoint endpoint, CancellationToken ct = default);

    Task<Endpoint?> FindEndpointAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes an endpoint atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<Endpoint?> UpdateEndpointAsync(string name, Func<Endpoint, Endpoint?> change, CancellationToken ct = default);

    /// <summary>Deletes an endpoint and what its bandit learned.</summary>
    Task<bool> DeleteEndpointAsync(string name, CancellationToken ct = default);

    Task<Page<Endpoint>> ListEndpointsAsync(HostingQuery query, CancellationToken ct = default);

    Task<IReadOnlyList<Endpoint>> AllEndpointsAsync(CancellationToken ct = default);

    /// <summary>A bandit's per-variant reward counts, saved so learning survives a restart.</summary>
    Task SaveBanditStateAsync(string endpoint, string state, CancellationToken ct = default);

    Task<string?> LoadBanditStateAsync(string endpoint, CancellationToken ct = default);
}

public enum HostingSort
{
    CreationTime,
    Name,
    Status,
}

/// <summary>A listing of hosting resources, as SageMaker's List* operations filter, sort and page them.</summary>
public sealed record HostingQuery(
    string? NameContains = null,
    string? Status = null,
    DateTimeOffset? CreatedAfter = null,
    DateTimeOffset? CreatedBefore = null,
    DateTimeOffset? ModifiedAfter = null,
    DateTimeOffset? ModifiedBefore = null,
    HostingSort SortBy = HostingSort.CreationTime,
    bool Ascending = false,
    int MaxResults = 10,
    string? PageToken = null);
