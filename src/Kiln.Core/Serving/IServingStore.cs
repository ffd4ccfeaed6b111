using Kiln.Core.Common;

namespace Kiln.Core.Serving;

/// <summary>Models, endpoint configs and endpoints, and the learned state of bandit-routed endpoints.</summary>
public interface IServingStore
{
    /// <summary>Adds a model; false when the name is taken.</summary>
    Task<bool> AddModelAsync(HostedModel model, CancellationToken ct = default);

    Task<HostedModel?> FindModelAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes a model atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<HostedModel?> UpdateModelAsync(string name, Func<HostedModel, HostedModel?> change, CancellationToken ct = default);

    Task<bool> DeleteModelAsync(string name, CancellationToken ct = default);

    Task<Page<HostedModel>> ListModelsAsync(ListQuery query, CancellationToken ct = default);

    Task<bool> AddConfigAsync(EndpointConfig config, CancellationToken ct = default);

    Task<EndpointConfig?> FindConfigAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes an endpoint config atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<EndpointConfig?> UpdateConfigAsync(string name, Func<EndpointConfig, EndpointConfig?> change, CancellationToken ct = default);

    Task<bool> DeleteConfigAsync(string name, CancellationToken ct = default);

    Task<Page<EndpointConfig>> ListConfigsAsync(ListQuery query, CancellationToken ct = default);

    Task<bool> AddEndpointAsync(Endpoint endpoint, CancellationToken ct = default);

    Task<Endpoint?> FindEndpointAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes an endpoint atomically (null from <paramref name="change"/> leaves it alone).</summary>
    Task<Endpoint?> UpdateEndpointAsync(string name, Func<Endpoint, Endpoint?> change, CancellationToken ct = default);

    /// <summary>Deletes an endpoint and what its bandit learned.</summary>
    Task<bool> DeleteEndpointAsync(string name, CancellationToken ct = default);

    Task<Page<Endpoint>> ListEndpointsAsync(ListQuery query, CancellationToken ct = default);

    Task<IReadOnlyList<Endpoint>> AllEndpointsAsync(CancellationToken ct = default);

    /// <summary>A bandit's per-variant reward counts, saved so learning survives a restart.</summary>
    Task SaveBanditStateAsync(string endpoint, string state, CancellationToken ct = default);

    Task<string?> LoadBanditStateAsync(string endpoint, CancellationToken ct = default);

    /// <summary>
    /// Appends a reading of a bandit's routing weights and drops the endpoint's oldest readings beyond
    /// <paramref name="keep"/>; nothing is kept for an endpoint that does not exist. Deleting the endpoint deletes them.
    /// </summary>
    Task AddBanditWeightsAsync(string endpoint, BanditWeights reading, int keep, CancellationToken ct = default);

    /// <summary>The endpoint's bandit weight readings, oldest first.</summary>
    Task<IReadOnlyList<BanditWeights>> ListBanditWeightsAsync(string endpoint, CancellationToken ct = default);
}

/// <summary>What a bandit-routed endpoint's router preferred at one moment: each production variant's weight.</summary>
public sealed record BanditWeights(DateTimeOffset Time, IReadOnlyList<VariantWeight> Variants);

public sealed record VariantWeight(string VariantName, double Weight);
