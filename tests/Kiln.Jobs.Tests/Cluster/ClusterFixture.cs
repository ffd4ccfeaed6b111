using Kiln.Core.Jobs;
using Kiln.Jobs.Hosting;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
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

    public static IJobScheduler SchedulerOn(this TestCluster cluster, SiloHandle silo) =>
        cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<IJobScheduler>();
}
