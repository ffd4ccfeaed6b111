using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Kiln.Jobs;

/// <summary>What one node says about itself: its role, its Kiln version and how busy its job slots are.</summary>
[GenerateSerializer, Immutable, Alias("Kiln.Jobs.NodeLoad")]
public sealed record NodeLoad(
    [property: Id(0)] string Role,
    [property: Id(1)] string Version,
    [property: Id(2)] int Capacity,
    [property: Id(3)] int Running,
    [property: Id(4)] int Waiting)
{
    /// <summary>Slots free for one more job right now (negative when jobs queue there).</summary>
    public int Free => Capacity - Running - Waiting;
}

/// <summary>Runs on every node (an Orleans grain service): answers how busy that node's job slots are.</summary>
[Alias("Kiln.Jobs.INodeSlotsService")]
public interface INodeSlotsService : IGrainService
{
    [Alias("Load")]
    Task<NodeLoad> Load();
}

[Reentrant]
internal sealed class NodeSlotsService(GrainId grainId, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, JobSlots slots, IOptions<JobEngineOptions> options)
    : GrainService(grainId, silo, loggerFactory), INodeSlotsService
{
    public Task<NodeLoad> Load() => Task.FromResult(Local(slots, options.Value));

    public static NodeLoad Local(JobSlots slots, JobEngineOptions options) =>
        new(options.Role, options.Version, slots.Capacity, slots.Running, slots.Waiting);
}

/// <summary>Asks a given node's <see cref="INodeSlotsService"/>.</summary>
public interface INodeSlotsClient : IGrainServiceClient<INodeSlotsService>
{
    Task<NodeLoad> LoadOf(SiloAddress silo);
}

internal sealed class NodeSlotsClient(IServiceProvider services) : GrainServiceClient<INodeSlotsService>(services), INodeSlotsClient
{
    public Task<NodeLoad> LoadOf(SiloAddress silo) => GetGrainService(silo).Load();
}
