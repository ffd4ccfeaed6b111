using Kiln.Core.Jobs;
using Kiln.Jobs.Silo;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Kiln.Jobs.Tests.Cluster;

/// <summary>Silo setup for engine tests: the test runner, the job engine with a short watchdog, fast failure detection, one shared SQLite file.</summary>
public sealed class SiloConfigurator : ISiloConfigurator
{
    public static string DatabasePath { get; set; } = "";

    public static int Slots { get; set; } = 2;

    public void Configure(ISiloBuilder siloBuilder)
    {
        var silo = siloBuilder;
        silo.Services.AddSingleton(_ => new SqliteDatabase(DatabasePath));
        silo.Services.AddSingleton<IJobRunner, TestJobRunner>();
        silo.AddKilnJobEngine(options =>
        {
            options.JobSlots = Slots;
            options.WatchdogPeriod = TimeSpan.FromSeconds(2);
        });
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromSeconds(1);
            options.NumMissedProbesLimit = 2;
            options.NumVotesForDeathDeclaration = 1;
            options.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
        });
    }
}

public static class Clusters
{
    /// <summary>A started test cluster whose silos share one SQLite database (created up front so its schema exists once).</summary>
    public static async Task<TestCluster> StartAsync(short silos, int slotsPerSilo)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kiln-jobs-tests", Guid.NewGuid().ToString("N"));
        SiloConfigurator.DatabasePath = Path.Combine(directory, "kiln.db");
        SiloConfigurator.Slots = slotsPerSilo;
        new SqliteDatabase(SiloConfigurator.DatabasePath).Dispose();
        var builder = new TestClusterBuilder(silos);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>
    /// Waits until a finished job's grain is released: its watchdog reminder is gone from the reminder table
    /// and no silo holds an activation of it. Fails when that has not happened within the timeout.
    /// </summary>
    public static async Task AssertReleasedAsync(this TestCluster cluster, string kind, string name, TimeSpan timeout)
    {
        var grain = cluster.GrainFactory.GetGrain<IJobGrain>(OrleansJobScheduler.Key(kind, name)).GetGrainId();
        var reminders = cluster.GetSiloServiceProvider(cluster.Primary!.SiloAddress).GetRequiredService<IReminderTable>();
        var management = cluster.GrainFactory.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = (await reminders.ReadRows(grain)).Reminders;
            var activations = (await management.GetDetailedGrainStatistics()).Where(statistic => statistic.GrainId == grain).ToList();
            if (rows.Count == 0 && activations.Count == 0)
            {
                return;
            }

            Assert.True(
                DateTime.UtcNow < deadline,
                $"{grain} not released after {timeout}: reminders [{string.Join(", ", rows.Select(row => row.ReminderName))}], " +
                $"activations on [{string.Join(", ", activations.Select(activation => activation.SiloAddress))}]");
            await Task.Delay(200);
        }
    }

    public static IJobScheduler SchedulerOn(this TestCluster cluster, SiloHandle silo) =>
        cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<IJobScheduler>();
}
