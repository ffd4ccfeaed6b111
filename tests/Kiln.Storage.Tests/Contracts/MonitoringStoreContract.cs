using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Monitoring;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IMonitoringStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class MonitoringStoreContract
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IMonitoringStore? _store;

    protected abstract IMonitoringStore CreateStore();

    protected IMonitoringStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_job_definition_round_trips_every_field_and_its_name_is_taken_once()
    {
        var definition = Definition("dq-1");

        Assert.True(await Store.AddJobDefinitionAsync(definition));
        Assert.False(await Store.AddJobDefinitionAsync(definition with { EndpointName = "other" }));

        AssertSame(definition, await Store.FindJobDefinitionAsync("dq-1"));
        Assert.Null(await Store.FindJobDefinitionAsync("dq-2"));
    }

    [StoreFact]
    public async Task Deleting_a_job_definition_removes_only_it()
    {
        await Store.AddJobDefinitionAsync(Definition("b"));
        await Store.AddJobDefinitionAsync(Definition("a"));

        Assert.True(await Store.DeleteJobDefinitionAsync("b"));
        Assert.False(await Store.DeleteJobDefinitionAsync("b"));

        Assert.Null(await Store.FindJobDefinitionAsync("b"));
        Assert.Equal(["a"], (await Store.AllJobDefinitionsAsync()).Select(definition => definition.Name));
    }

    [StoreFact]
    public async Task A_schedule_round_trips_and_updates_atomically()
    {
        var schedule = Schedule("s1");
        Assert.True(await Store.AddScheduleAsync(schedule));
        Assert.False(await Store.AddScheduleAsync(schedule with { EndpointName = "other" }));
        AssertSame(schedule, await Store.FindScheduleAsync("s1"));

        var claimed = await Store.UpdateScheduleAsync("s1", current => current.RunNowPending ? current with { RunNowPending = false, LastScheduledTime = Epoch.AddHours(1) } : null);
        Assert.NotNull(claimed);
        Assert.Null(await Store.UpdateScheduleAsync("s1", current => current.RunNowPending ? current with { RunNowPending = false } : null));
        Assert.Null(await Store.UpdateScheduleAsync("missing", current => current));

        var stored = await Store.FindScheduleAsync("s1");
        Assert.False(stored!.RunNowPending);
        Assert.Equal(Epoch.AddHours(1), stored.LastScheduledTime);
    }

    [StoreFact]
    public async Task Concurrent_claims_of_one_schedule_let_exactly_one_through()
    {
        await Store.AddScheduleAsync(Schedule("race"));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Store.UpdateScheduleAsync("race", current => current.RunNowPending ? current with { RunNowPending = false } : null))));

        Assert.Single(claims, claim => claim is not null);
    }

    [StoreFact]
    public async Task Unfinished_executions_are_those_not_in_an_end_status_oldest_first()
    {
        await Store.AddScheduleAsync(Schedule("s1"));
        Assert.True(await Store.AddExecutionAsync(Execution("s1", Epoch.AddHours(2))));
        Assert.True(await Store.AddExecutionAsync(Execution("s1", Epoch)));
        Assert.True(await Store.AddExecutionAsync(Execution("s1", Epoch.AddHours(1)) with { Status = MonitoringExecutionStatus.CompletedWithViolations }));
        Assert.True(await Store.AddExecutionAsync(Execution("s1", Epoch.AddHours(3)) with { Status = MonitoringExecutionStatus.Failed }));

        var unfinished = await Store.UnfinishedExecutionsAsync();

        Assert.Equal([Epoch, Epoch.AddHours(2)], unfinished.Select(execution => execution.ScheduledTime));
        Assert.All(unfinished, execution => Assert.False(execution.IsFinished));
    }

    [StoreFact]
    public async Task Executions_are_keyed_by_schedule_and_time_listed_per_schedule_and_deleted_with_it()
    {
        await Store.AddScheduleAsync(Schedule("s1"));
        await Store.AddScheduleAsync(Schedule("s2"));
        var first = Execution("s1", Epoch);
        Assert.True(await Store.AddExecutionAsync(first));
        Assert.False(await Store.AddExecutionAsync(first with { Status = MonitoringExecutionStatus.Failed }));
        Assert.True(await Store.AddExecutionAsync(Execution("s1", Epoch.AddHours(1))));
        Assert.True(await Store.AddExecutionAsync(Execution("s2", Epoch)));

        var updated = await Store.UpdateExecutionAsync(first.Name, current => current with { Status = MonitoringExecutionStatus.InProgress, ProcessingJobName = "job-1" });
        Assert.Equal(MonitoringExecutionStatus.InProgress, updated!.Status);
        Assert.Null(await Store.UpdateExecutionAsync("s9/1", current => current));

        var ofFirst = await Store.ExecutionsAsync("s1");
        Assert.Equal([Epoch.AddHours(1), Epoch], ofFirst.Select(execution => execution.ScheduledTime).OrderDescending());
        AssertSame(updated, ofFirst.Single(execution => execution.ScheduledTime == Epoch));
        Assert.Equal(3, (await Store.ExecutionsAsync()).Count);

        Assert.True(await Store.DeleteScheduleAsync("s1"));
        Assert.False(await Store.DeleteScheduleAsync("s1"));
        Assert.Empty(await Store.ExecutionsAsync("s1"));
        Assert.Equal(["s2"], (await Store.ExecutionsAsync()).Select(execution => execution.ScheduleName));
        Assert.Equal(["s2"], (await Store.AllSchedulesAsync()).Select(schedule => schedule.Name));
    }

    private static MonitorJobDefinition Definition(string name) => new()
    {
        Name = name,
        ImageUri = "1.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        ContainerArguments = ["--x"],
        Environment = new Dictionary<string, string> { ["publish_cloudwatch_metrics"] = "Disabled" },
        BaselineConstraintsUri = "s3://b/constraints.json",
        BaselineStatisticsUri = "s3://b/statistics.json",
        EndpointName = "ep",
        LocalPath = "/opt/ml/processing/input/endpoint",
        StartTimeOffset = "-PT2H",
        Outputs = [new MonitoringOutputSpec("s3://b/reports", "/opt/ml/processing/output")],
        InstanceType = "ml.m5.xlarge",
        VolumeSizeInGB = 20,
        MaxRuntimeInSeconds = 1800,
        RoleArn = "arn:aws:iam::1:role/r",
        Tags = [new Tag("team", "ml")],
        CreationTime = Epoch,
    };

    private static MonitoringSchedule Schedule(string name) => new()
    {
        Name = name,
        Schedule = new ScheduleSpec("NOW", "-PT1H", "-PT0H"),
        JobDefinitionName = "dq-1",
        EndpointName = "ep",
        CreationTime = Epoch,
        LastModifiedTime = Epoch.AddSeconds(1),
        RunNowPending = true,
        Tags = [new Tag("team", "ml")],
    };

    private static MonitoringExecution Execution(string schedule, DateTimeOffset scheduled) => new()
    {
        ScheduleName = schedule,
        JobDefinitionName = "dq-1",
        EndpointName = "ep",
        ScheduledTime = scheduled,
        CreationTime = scheduled,
        LastModifiedTime = scheduled,
    };

    private static void AssertSame<T>(T expected, T? actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected, Json), JsonSerializer.Serialize(actual, Json));
}
