using Kiln.Core.Training;
using Kiln.Jobs.Silo;
using Kiln.Server;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Kiln.Jobs.Tests.Cluster;

/// <summary>Two silos with Kiln's real services over one shared database: what a small cluster on one host looks like.</summary>
public sealed class KilnSiloConfigurator : ISiloConfigurator
{
    public static KilnServerOptions Options { get; set; } = new();

    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.Services.AddKiln(Options);
        siloBuilder.AddKilnJobEngine(engine =>
        {
            engine.JobSlots = 2;
            engine.WatchdogPeriod = TimeSpan.FromSeconds(2);
        });
        siloBuilder.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromSeconds(1);
            options.NumMissedProbesLimit = 2;
            options.NumVotesForDeathDeclaration = 1;
            options.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
        });
    }
}

[Collection("cluster")]
public sealed class TrainingFailoverTests
{
    [Fact]
    public async Task A_training_job_on_a_killed_silo_completes_on_the_survivor_and_shows_the_restart()
    {
        var data = Path.Combine(Path.GetTempPath(), "kiln-jobs-tests", Guid.NewGuid().ToString("N"));
        KilnSiloConfigurator.Options = new KilnServerOptions { DataDirectory = data };
        new SqliteDatabase(KilnSiloConfigurator.Options.DatabasePath).Dispose();
        Directory.CreateDirectory(Path.Combine(data, "input"));
        await File.WriteAllTextAsync(Path.Combine(data, "input", "rows.csv"), "1,2\n");

        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<KilnSiloConfigurator>();
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var doomed = cluster.SecondarySilos[0];
        var jobs = cluster.GetSiloServiceProvider(doomed.SiloAddress).GetRequiredService<TrainingJobService>();

        // A script-mode job that trains for a few seconds: long enough to lose its silo mid-way.
        var name = "failover-" + Guid.NewGuid().ToString("N")[..8];
        await jobs.CreateAsync(new TrainingJobSpec
        {
            Name = name,
            TrainingImage = "kiln/script",
            ContainerEntrypoint = ["bash", "-c", "echo training; sleep 4; echo done > \"$SM_MODEL_DIR/model.txt\""],
            Channels = [new InputChannel("train", "file://" + Path.Combine(data, "input"))],
            OutputPath = "file://" + Path.Combine(data, "output"),
        });
        await WaitAsync(jobs, name, job => job.SecondaryStatus == SecondaryStatus.Training, TimeSpan.FromSeconds(30));
        var before = await jobs.DescribeAsync(name);
        Assert.Contains(before.Transitions, t => t.Message?.Contains(doomed.SiloAddress.Endpoint.ToString(), StringComparison.Ordinal) == true);

        await cluster.KillSiloAsync(doomed);

        var survivor = cluster.GetSiloServiceProvider(cluster.Primary!.SiloAddress).GetRequiredService<TrainingJobService>();
        var job = await WaitAsync(survivor, name, j => j.IsFinished, TimeSpan.FromSeconds(90));
        Assert.Equal(TrainingJobStatus.Completed, job.Status);
        Assert.Equal(2, job.Attempt);
        var restart = Assert.Single(job.Transitions, t => t.Status == SecondaryStatus.Restarting);
        Assert.Contains(cluster.Primary.SiloAddress.Endpoint.ToString(), restart.Message, StringComparison.Ordinal);
        Assert.Equal(
            [SecondaryStatus.Starting, SecondaryStatus.Downloading, SecondaryStatus.Training, SecondaryStatus.Uploading, SecondaryStatus.Completed],
            job.Transitions.SkipWhile(t => t.Status != SecondaryStatus.Restarting).Skip(1).Select(t => t.Status));
        Assert.True(File.Exists(Path.Combine(data, "output", name, "output", "model.tar.gz")));
        await cluster.AssertReleasedAsync(TrainingJobService.JobKind, name, TimeSpan.FromSeconds(10));
    }

    private static async Task<TrainingJob> WaitAsync(TrainingJobService jobs, string name, Func<TrainingJob, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await jobs.DescribeAsync(name);
            if (done(job))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out; the job is {job.Status}/{job.SecondaryStatus}: {string.Join(" → ", job.Transitions.Select(t => t.Status))}");
            await Task.Delay(200);
        }
    }
}
