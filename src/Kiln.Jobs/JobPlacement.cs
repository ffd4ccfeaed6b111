using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Kiln.Jobs;

/// <summary>
/// Places a job on the node that asks for it when that node takes jobs (it has job slots), else on a
/// random node. A co-hosted API node thus runs the jobs it accepts, an API-only node (no slots)
/// passes them on, and a watchdog reminder firing on a surviving node resumes the job right there.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class JobPlacementStrategy : PlacementStrategy
{
    internal static readonly JobPlacementStrategy Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class JobPlacementAttribute() : PlacementAttribute(JobPlacementStrategy.Instance);

internal sealed class JobPlacementDirector(IOptions<JobEngineOptions> options) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (options.Value.JobSlots > 0 && silos.Contains(context.LocalSilo))
        {
            return Task.FromResult(context.LocalSilo);
        }

        return Task.FromResult(silos[Random.Shared.Next(silos.Length)]);
    }
}
