using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Kiln.Jobs;

/// <summary>
/// Places a job on a node with a free job slot: the node that asks for it when it has one (a co-hosted API node runs
/// what it accepts, a watchdog reminder firing on a survivor resumes the job right there), else the node with the
/// most free slots, asked through each node's <see cref="INodeSlotsService"/>. When every slot is taken the job
/// queues on the node with the shortest queue; nodes without slots (API-only) never get jobs unless no node has any.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class JobPlacementStrategy : PlacementStrategy
{
    internal static readonly JobPlacementStrategy Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class JobPlacementAttribute() : PlacementAttribute(JobPlacementStrategy.Instance);

internal sealed partial class JobPlacementDirector(
    IOptions<JobEngineOptions> options,
    JobSlots slots,
    INodeSlotsClient nodes,
    TimeProvider time,
    ILogger<JobPlacementDirector> logger) : IPlacementDirector
{
    /// <summary>How long a node's answer is trusted; jobs placed meanwhile are counted in by <see cref="Placed"/>.</summary>
    private static readonly TimeSpan LoadFreshness = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<SiloAddress, (NodeLoad Load, DateTimeOffset At)> _loads = new();
    private readonly ConcurrentDictionary<SiloAddress, ConcurrentQueue<DateTimeOffset>> _placed = new();

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var local = context.LocalSilo;
        var now = time.GetUtcNow();
        var localLoad = (Load: NodeSlotsService.Local(slots, options.Value), At: now - LoadFreshness);
        if (silos.Contains(local) && Free(local, localLoad) > 0)
        {
            Placed(local);
            return local;
        }

        var others = silos.Where(silo => !silo.Equals(local)).ToArray();
        if (others.Length == 0)
        {
            return silos.Contains(local) ? local : silos[Random.Shared.Next(silos.Length)];
        }

        var loads = await Task.WhenAll(others.Select(LoadOfAsync));
        var candidates = others.Zip(loads)
            .Where(pair => pair.Second is { Load.Capacity: > 0 })
            .Select(pair => (Silo: pair.First, Free: Free(pair.First, pair.Second!.Value)))
            .ToList();
        if (silos.Contains(local) && slots.Capacity > 0)
        {
            candidates.Add((local, Free(local, localLoad)));
        }

        if (candidates.Count == 0)
        {
            // No node takes jobs (yet): keep it here, or anywhere, until one joins; the watchdog moves it later.
            return silos.Contains(local) ? local : silos[Random.Shared.Next(silos.Length)];
        }

        var best = candidates.MaxBy(candidate => (candidate.Free, Random.Shared.Next()));
        Placed(best.Silo);
        return best.Silo;
    }

    private async Task<(NodeLoad Load, DateTimeOffset At)?> LoadOfAsync(SiloAddress silo)
    {
        if (_loads.TryGetValue(silo, out var known) && time.GetUtcNow() - known.At < LoadFreshness)
        {
            return known;
        }

        try
        {
            var load = await nodes.LoadOf(silo).WaitAsync(AskTimeout);
            var answer = (load, time.GetUtcNow());
            _loads[silo] = answer;
            return answer;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            LogNoAnswer(silo, e.Message);
            return null;
        }
    }

    /// <summary>
    /// A node's free slots: what it last said, less the jobs sent there since (a job takes its slot a moment after
    /// it is placed, so a burst of starts would otherwise all go to the node that looked free).
    /// </summary>
    private int Free(SiloAddress silo, (NodeLoad Load, DateTimeOffset At) known)
    {
        var recent = _placed.TryGetValue(silo, out var times) ? times.Count(at => at > known.At) : 0;
        return known.Load.Free - recent;
    }

    private void Placed(SiloAddress silo)
    {
        var now = time.GetUtcNow();
        var times = _placed.GetOrAdd(silo, _ => new ConcurrentQueue<DateTimeOffset>());
        times.Enqueue(now);
        while (times.TryPeek(out var oldest) && now - oldest > LoadFreshness * 5)
        {
            times.TryDequeue(out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job placement: node {Silo} did not say how busy it is ({Reason}); not placing jobs there now")]
    private partial void LogNoAnswer(SiloAddress silo, string reason);
}
