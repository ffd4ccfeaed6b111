using Kiln.Core.Cluster;
using Kiln.Core.Jobs;
using Kiln.Jobs.Reminders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Kiln.Jobs.Silo;

public static class JobEngineSiloExtensions
{
    /// <summary>
    /// Adds Kiln's job engine to a silo: job grains with their placement, this node's job slots, and
    /// reminders kept in Kiln's SQLite database unless an <see cref="IReminderTable"/> is registered first. Clustering is
    /// configured by the caller (localhost for the embedded server, PostgreSQL in a cluster: Kiln.Cluster).
    /// </summary>
    public static ISiloBuilder AddKilnJobEngine(this ISiloBuilder silo, Action<JobEngineOptions>? configure = null)
    {
        silo.Services.AddOptions<JobEngineOptions>()
            .Configure(options => configure?.Invoke(options))
            .Validate(options => options.JobSlots >= 0, "JobSlots must be 0 (an API-only node) or more.")
            .Validate(options => options.WatchdogPeriod > TimeSpan.Zero, "WatchdogPeriod must be longer than zero.")
            .ValidateOnStart();
        silo.Services.AddSingleton<JobSlots>();
        silo.Services.AddSingleton<IJobSlots>(provider => provider.GetRequiredService<JobSlots>());
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<JobSlots>());
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.AddGrainService<NodeSlotsService>();
        silo.Services.AddSingleton<INodeSlotsClient, NodeSlotsClient>();
        silo.Services.AddSingleton<IClusterStatus, OrleansClusterStatus>();
        // A distributed training job's hosts (algo-2 …) run on other nodes through each node's TrainingHostService.
        silo.AddGrainService<TrainingHostService>();
        silo.Services.AddSingleton<ITrainingHostClient, TrainingHostClient>();
        silo.Services.AddSingleton<Kiln.Core.Training.ITrainingHostLauncher, OrleansTrainingHostLauncher>();
        silo.Services.AddPlacementDirector<JobPlacementStrategy, JobPlacementDirector>();
        // Nodes are named "ROLE/VERSION/HOST" in Orleans' membership, so a node starting can see who else is there.
        silo.Services.AddOptions<SiloOptions>().Configure<Microsoft.Extensions.Options.IOptions<JobEngineOptions>>((silo, engine) =>
            silo.SiloName = NodeName.Format(engine.Value.Role, engine.Value.Version, System.Net.Dns.GetHostName()));
        silo.Services.AddSingleton<IJobScheduler, OrleansJobScheduler>();
        // Unless the host chose another (cluster mode keeps reminders in PostgreSQL), reminders live in Kiln's SQLite file.
        silo.Services.TryAddSingleton<IReminderTable, SqliteReminderTable>();
        silo.Services.AddOptions<ReminderOptions>().Configure<Microsoft.Extensions.Options.IOptions<JobEngineOptions>>((reminders, engine) =>
        {
            reminders.MinimumReminderPeriod = engine.Value.WatchdogPeriod < reminders.MinimumReminderPeriod
                ? engine.Value.WatchdogPeriod
                : reminders.MinimumReminderPeriod;
            reminders.RefreshReminderListPeriod = engine.Value.WatchdogPeriod < reminders.RefreshReminderListPeriod
                ? engine.Value.WatchdogPeriod
                : reminders.RefreshReminderListPeriod;
        });
        silo.AddReminders();

        // Registered last, so it is the membership clock the silo's watchdog resolves (see ProcessTimestampClock).
        silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, new ProcessTimestampClock(TimeProvider.System));
        return silo;
    }
}
