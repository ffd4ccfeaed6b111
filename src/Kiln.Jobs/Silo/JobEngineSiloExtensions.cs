using Kiln.Core.Jobs;
using Kiln.Jobs.Reminders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Kiln.Jobs.Silo;

public static class JobEngineSiloExtensions
{
    /// <summary>
    /// Adds Kiln's job engine to a silo: job grains with their placement, this node's job slots, and
    /// reminders kept in Kiln's SQLite database. Clustering is configured by the caller (localhost for
    /// the embedded server, a shared membership table in a cluster).
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
        silo.Services.AddPlacementDirector<JobPlacementStrategy, JobPlacementDirector>();
        silo.Services.AddSingleton<IJobScheduler, OrleansJobScheduler>();
        silo.Services.AddSingleton<IReminderTable, SqliteReminderTable>();
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
