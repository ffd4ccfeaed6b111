using Kiln.Core.Jobs;

namespace Kiln.Jobs;

/// <summary>The engine's front door for the rest of Kiln: start and stop jobs by kind and name.</summary>
internal sealed class OrleansJobScheduler(IGrainFactory grains) : IJobScheduler
{
    public Task StartAsync(string kind, string name, CancellationToken ct = default) =>
        Grain(kind, name).Start();

    public Task StopAsync(string kind, string name, CancellationToken ct = default) =>
        Grain(kind, name).Stop();

    public static string Key(string kind, string name) => $"{kind}/{name}";

    private IJobGrain Grain(string kind, string name) => grains.GetGrain<IJobGrain>(Key(kind, name));
}
