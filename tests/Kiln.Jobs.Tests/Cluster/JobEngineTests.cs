using Kiln.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Kiln.Jobs.Tests.Cluster;

[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection;

[Collection("cluster")]
public sealed class JobEngineTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await Clusters.StartAsync(silos: 1, slotsPerSilo: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static TestJob NewJob(string name, TimeSpan duration) => TestJobRunner.Jobs[name] = new TestJob(duration);

    [Fact]
    public void The_silo_watchdog_clock_counts_from_the_silo_start_not_from_machine_boot()
    {
        // Orleans' watchdog can read an unstamped timestamp (0) on a busy start; from boot that reads as the machine's
        // uptime and logs a false "participant check thread has not completed" warning on a healthy start.
        var clock = _cluster.GetSiloServiceProvider(_cluster.Primary!.SiloAddress).GetRequiredKeyedService<TimeProvider>(Orleans.Runtime.TimeProviderNames.Membership);
        var processAge = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
        Assert.True(clock.GetElapsedTime(0) <= processAge, $"an unstamped watchdog time reads as {clock.GetElapsedTime(0)}, longer than the process has run ({processAge})");
        var before = clock.GetTimestamp();
        Thread.Sleep(50);
        Assert.InRange(clock.GetElapsedTime(before), TimeSpan.FromMilliseconds(40), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_job_runs_to_completion_once()
    {
        var name = "once-" + Guid.NewGuid().ToString("N");
        var job = NewJob(name, TimeSpan.FromMilliseconds(200));
        await _cluster.SchedulerOn(_cluster.Primary!).StartAsync("test", name);
        Assert.Equal("completed", await job.Ended.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, job.Ran);
        Assert.False(Assert.Single(job.Attempts).IsRestart);
    }

    [Fact]
    public async Task Jobs_beyond_the_slots_wait_and_start_in_order()
    {
        var names = Enumerable.Range(0, 3).Select(i => $"queued-{i}-{Guid.NewGuid():N}").ToList();
        // The first holds the only slot long enough for the others to queue behind it, even on a busy machine.
        var durations = new[] { TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(600) };
        var jobs = names.Select((name, i) => NewJob(name, durations[i])).ToList();
        var scheduler = _cluster.SchedulerOn(_cluster.Primary!);
        var slots = _cluster.GetSiloServiceProvider(_cluster.Primary!.SiloAddress).GetRequiredService<IJobSlots>();
        await scheduler.StartAsync("test", names[0]);
        await jobs[0].Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // Each run asks for its slot from a thread of its own, so the queue's order is the order they asked in;
        // wait for each to be queued before starting the next, or a busy thread pool decides the order instead.
        for (var i = 1; i < names.Count; i++)
        {
            await scheduler.StartAsync("test", names[i]);
            await WaitUntilAsync(() => slots.Waiting == i, TimeSpan.FromSeconds(20));
        }

        await Task.WhenAll(jobs.Select(job => job.Ended.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        var starts = jobs.Select(job => Assert.Single(job.Attempts).Started).ToList();
        Assert.True(starts[0] < starts[1] && starts[1] < starts[2], "jobs started in the order they were queued");
        // One slot: each started only after the previous one had run its time.
        for (var i = 1; i < starts.Count; i++)
        {
            Assert.True(starts[i] - starts[i - 1] >= durations[i - 1] - TimeSpan.FromMilliseconds(50), $"job {i} started before job {i - 1} had run its time");
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Stop_ends_a_running_job_as_stopped()
    {
        var name = "stop-" + Guid.NewGuid().ToString("N");
        var job = NewJob(name, TimeSpan.FromMinutes(5));
        var scheduler = _cluster.SchedulerOn(_cluster.Primary!);
        await scheduler.StartAsync("test", name);
        await job.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await scheduler.StopAsync("test", name);
        Assert.Equal("stopped", await job.Ended.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Theory]
    [InlineData("completed")]
    [InlineData("failed")]
    [InlineData("stopped")]
    public async Task A_finished_job_leaves_no_reminder_and_its_grain_deactivates(string outcome)
    {
        var name = $"release-{outcome}-{Guid.NewGuid():N}";
        var job = TestJobRunner.Jobs[name] = new TestJob(outcome == "stopped" ? TimeSpan.FromMinutes(5) : TimeSpan.FromMilliseconds(300), fails: outcome == "failed");
        var scheduler = _cluster.SchedulerOn(_cluster.Primary!);
        await scheduler.StartAsync("test", name);
        await job.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // While it runs, the job holds its watchdog reminder (what the release below has to undo).
        var grain = _cluster.GrainFactory.GetGrain<IJobGrain>(OrleansJobScheduler.Key("test", name)).GetGrainId();
        var reminders = _cluster.GetSiloServiceProvider(_cluster.Primary!.SiloAddress).GetRequiredService<IReminderTable>();
        Assert.Single((await reminders.ReadRows(grain)).Reminders);

        if (outcome == "stopped")
        {
            await scheduler.StopAsync("test", name);
        }

        Assert.Equal(outcome, await job.Ended.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        await _cluster.AssertReleasedAsync("test", name, TimeSpan.FromSeconds(10));
        // Released for good: later watchdog periods (2 s here) neither bring the reminder back nor run the job again.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty((await reminders.ReadRows(grain)).Reminders);
        Assert.Equal(1, job.Ran);
    }
}

[Collection("cluster")]
public sealed class FailoverTests
{
    [Fact]
    public async Task A_job_on_a_killed_silo_is_resumed_on_the_survivor()
    {
        await using var cluster = await Clusters.StartAsync(silos: 2, slotsPerSilo: 2);
        var name = "failover-" + Guid.NewGuid().ToString("N");
        var job = TestJobRunner.Jobs[name] = new TestJob(TimeSpan.FromSeconds(4));
        var doomed = cluster.SecondarySilos[0];

        // Placed where it is asked for: on the secondary silo, which the test then kills.
        await cluster.SchedulerOn(doomed).StartAsync("test", name);
        await job.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(doomed.SiloAddress.Endpoint.ToString(), Assert.Single(job.Attempts).Node);
        await cluster.KillSiloAsync(doomed);

        Assert.Equal("completed", await job.Ended.Task.WaitAsync(TimeSpan.FromSeconds(90)));
        var attempts = job.Attempts.ToList();
        Assert.Equal(2, attempts.Count);
        Assert.False(attempts[0].IsRestart);
        Assert.True(attempts[1].IsRestart);
        Assert.Equal(cluster.Primary!.SiloAddress.Endpoint.ToString(), attempts[1].Node);
        await cluster.AssertReleasedAsync("test", name, TimeSpan.FromSeconds(10));
    }
}
