using Kiln.Jobs;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Kiln.Cluster.Endpoints;

/// <summary>Spreads an endpoint's replicas over the cluster's workers (see <see cref="ReplicaPlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ReplicaPlacementStrategy : PlacementStrategy
{
    internal static readonly ReplicaPlacementStrategy Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReplicaPlacementAttribute() : PlacementAttribute(ReplicaPlacementStrategy.Instance);

/// <summary>
/// Places replica <c>i</c> of a variant on the <c>(h + i)</c>-th live worker, in address order, where <c>h</c> comes
/// from the endpoint and variant names: a variant's replicas land on different workers while there are enough, and
/// different variants start on different workers. Only when no worker is live do replicas go to server nodes. A
/// replica whose node died is placed again by the same rule among the nodes left, the next time it is called.
/// </summary>
internal sealed class ReplicaPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).OrderBy(silo => silo.ToParsableString(), StringComparer.Ordinal).ToArray();
        var members = membership.CurrentSnapshot.Members;
        var workers = silos.Where(silo => members.TryGetValue(silo, out var member) && NodeName.Parse(member.Name).Role == "worker").ToArray();
        var pool = workers.Length > 0 ? workers : silos;
        var key = ReplicaKeys.Parse(target.GrainIdentity.Key.ToString()!);
        var slot = (StableHash(key.Endpoint + "|" + key.Variant) + (uint)key.Index) % (uint)pool.Length;
        return Task.FromResult(pool[slot]);
    }

    /// <summary>FNV-1a: the same on every node and every run (string.GetHashCode is randomized per process).</summary>
    private static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
