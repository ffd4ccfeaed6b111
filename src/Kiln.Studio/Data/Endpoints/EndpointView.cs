using Kiln.Core.Common;
using Kiln.Core.Serving;
using Endpoint = Kiln.Core.Serving.Endpoint;

namespace Kiln.Studio.Data.Endpoints;

/// <summary>One variant as the endpoint page shows it: what DescribeEndpoint says joined with what it served lately.</summary>
public sealed record VariantRow(VariantState State, bool Shadow, VariantTraffic? Traffic, double? InvocationsPerSecond)
{
    /// <summary>Shadow agreement: the share of compared requests where the shadow answered as production did.</summary>
    public double? Agreement => Traffic is { Comparisons: > 0 and var compared, Agreements: var agreed } ? (agreed ?? 0) / (double)compared : null;
}

public sealed record EndpointView(Endpoint Endpoint, EndpointConfig? Config, IReadOnlyList<VariantRow> Variants, TrafficSample? Sample)
{
    public bool IsBandit => Config is { Routing: not RoutingStrategy.Weighted };

    /// <summary>A bandit's weights each time it learned, as the serving runtime stored them (they survive a restart).</summary>
    public IReadOnlyList<BanditWeights> WeightHistory { get; init; } = [];

    /// <summary>Each production variant's weight over time, one chart series per variant.</summary>
    public IReadOnlyList<(string Variant, IReadOnlyList<(DateTimeOffset Time, double Weight)> Points)> WeightSeries() =>
        WeightHistory
            .SelectMany(reading => reading.Variants.Select(v => (v.VariantName, reading.Time, v.Weight)))
            .GroupBy(point => point.VariantName, StringComparer.Ordinal)
            .Select(group => (group.Key, (IReadOnlyList<(DateTimeOffset, double)>)group.Select(p => (p.Time, p.Weight)).ToList()))
            .ToList();

    /// <summary>Changes whenever the live part of the page would render differently.</summary>
    public string Fingerprint() =>
        $"{Endpoint.Status}:{Endpoint.LastModifiedTime.ToUnixTimeMilliseconds()}:{WeightHistory.Count}/{(WeightHistory.Count > 0 ? WeightHistory[^1].Time.ToUnixTimeMilliseconds() : 0)}:"
        + string.Join(',', Variants.Select(v =>
            $"{v.State.VariantName}={v.State.CurrentWeight}/{v.State.CurrentInstanceCount}/{v.Traffic?.Invocations}/{v.Traffic?.Errors}/{v.Traffic?.Comparisons}/{v.InvocationsPerSecond:0.#}"));
}

/// <summary>The endpoint pages' questions, asked of the serving service and the live invoker in process.</summary>
public sealed class EndpointQuery(ServingService serving, TrafficHistory history)
{
    public async Task<IReadOnlyList<Endpoint>> ListAsync(CancellationToken ct = default)
    {
        var endpoints = new List<Endpoint>();
        string? token = null;
        do
        {
            var page = await serving.ListEndpointsAsync(new ListQuery(SortBy: ListSort.Name, Ascending: true, MaxResults: 100, PageToken: token), ct);
            endpoints.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return endpoints;
    }

    /// <summary>The endpoint with its config and live traffic; null when there is no such endpoint.</summary>
    public async Task<EndpointView?> LoadAsync(string name, CancellationToken ct = default)
    {
        Endpoint endpoint;
        try
        {
            endpoint = await serving.DescribeEndpointAsync(name, ct);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }

        EndpointConfig? config;
        try
        {
            config = await serving.DescribeConfigAsync(endpoint.ConfigName, ct);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist)
        {
            config = null;
        }

        var sample = history.Read(name);
        VariantRow Row(VariantState state, bool shadow) => new(
            state,
            shadow,
            sample?.Traffic.Variants.FirstOrDefault(v => v.VariantName == state.VariantName && v.Shadow == shadow),
            history.InvocationsPerSecond(name, state.VariantName));
        var rows = endpoint.Variants.Select(v => Row(v, false)).Concat(endpoint.ShadowVariants.Select(v => Row(v, true))).ToList();
        var view = new EndpointView(endpoint, config, rows, sample);
        return view.IsBandit ? view with { WeightHistory = await serving.BanditWeightHistoryAsync(name, ct) } : view;
    }
}
