using System.Collections.Concurrent;
using Kiln.Core.Serving;

namespace Kiln.Studio.Data.Endpoints;

/// <summary>One reading of an endpoint's traffic counters.</summary>
public sealed record TrafficSample(DateTimeOffset Time, EndpointTraffic Traffic);

/// <summary>
/// Readings of each endpoint's live traffic, taken whenever Studio reads it (a page load, and every second while a page
/// follows the endpoint live). Kiln keeps counters, not rates: invocations per second come from the difference between
/// readings. Kept in memory, a bounded window per endpoint (a bandit's weight history is stored by the serving runtime).
/// </summary>
public sealed class TrafficHistory(IEndpointInvoker invoker, TimeProvider clock)
{
    private const int MaxSamples = 600;
    private readonly ConcurrentDictionary<string, Queue<TrafficSample>> _samples = new(StringComparer.Ordinal);

    /// <summary>Reads the endpoint's traffic now and records it; null when the endpoint is not loaded on this node.</summary>
    public TrafficSample? Read(string endpoint)
    {
        if (invoker.Traffic(endpoint) is not { } traffic)
        {
            return null;
        }

        var sample = new TrafficSample(clock.GetUtcNow(), traffic);
        var queue = _samples.GetOrAdd(endpoint, _ => new Queue<TrafficSample>());
        lock (queue)
        {
            queue.Enqueue(sample);
            while (queue.Count > MaxSamples)
            {
                queue.Dequeue();
            }
        }

        return sample;
    }

    public IReadOnlyList<TrafficSample> Samples(string endpoint)
    {
        if (!_samples.TryGetValue(endpoint, out var queue))
        {
            return [];
        }

        lock (queue)
        {
            return [.. queue];
        }
    }

    /// <summary>Invocations per second of a variant between the latest reading and one at least a second older; null until there are two.</summary>
    public double? InvocationsPerSecond(string endpoint, string variant)
    {
        var samples = Samples(endpoint);
        if (samples.Count < 2)
        {
            return null;
        }

        var latest = samples[^1];
        var earlier = samples.LastOrDefault(s => latest.Time - s.Time >= TimeSpan.FromSeconds(1));
        if (earlier is null)
        {
            return null;
        }

        long Count(TrafficSample s) => s.Traffic.Variants.FirstOrDefault(v => v.VariantName == variant)?.Invocations ?? 0;
        return Math.Max(0, Count(latest) - Count(earlier)) / (latest.Time - earlier.Time).TotalSeconds;
    }
}
