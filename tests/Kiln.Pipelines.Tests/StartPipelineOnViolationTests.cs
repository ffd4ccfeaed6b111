using System.Collections.Concurrent;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Monitoring;
using Kiln.Core.Pipelines;
using Kiln.Core.Tracking;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Pipelines.Tests;

/// <summary>A schedule tagged kiln:on-violation:pipeline starts its pipeline once per execution that ends with violations.</summary>
public sealed class StartPipelineOnViolationTests
{
    private const string Report = "s3://bucket/reports/ep/sched/2026/03/04/10";

    private readonly Pipelines _pipelines = new();
    private readonly Executions _executions = new();
    private readonly Schedules _schedules = new();
    private readonly StartPipelineOnViolation _listener;

    public StartPipelineOnViolationTests()
    {
        var service = new PipelineService(_pipelines, _executions, null!, new NoScheduler(), TimeProvider.System);
        _listener = new StartPipelineOnViolation(service, _schedules, NullLogger<StartPipelineOnViolation>.Instance);
    }

    [Fact]
    public async Task Violations_start_the_pipeline_with_the_report_uri_as_its_declared_parameter()
    {
        await AddPipelineAsync("retrain", "ViolationReport");
        var schedule = Schedule(new Tag(OnViolationTags.Pipeline, "retrain"));

        await _listener.OnExecutionEndedAsync(Execution(MonitoringExecutionStatus.CompletedWithViolations), schedule, CancellationToken.None);

        var started = Assert.Single(await _executions.ListAsync("retrain"));
        Assert.Equal($"{Report}/constraint_violations.json", started.Parameters["ViolationReport"].GetString());
        Assert.Equal(StartPipelineOnViolation.StartedBy, started.CreatedBy);
        Assert.Equal(Arns.PipelineExecution(started.Region, "retrain", started.Id), OnViolationTags.Find(_schedules.Stored!.Tags, OnViolationTags.LastPipelineExecution));
    }

    [Fact]
    public async Task The_parameter_tag_renames_the_parameter_and_an_undeclared_one_is_left_out()
    {
        await AddPipelineAsync("named", "Report");
        await AddPipelineAsync("plain", null);
        var execution = Execution(MonitoringExecutionStatus.CompletedWithViolations);

        await _listener.OnExecutionEndedAsync(execution, Schedule(new Tag(OnViolationTags.Pipeline, "named"), new Tag(OnViolationTags.Parameter, "Report")), CancellationToken.None);
        await _listener.OnExecutionEndedAsync(execution, Schedule(new Tag(OnViolationTags.Pipeline, "plain")), CancellationToken.None);

        Assert.Equal($"{Report}/constraint_violations.json", Assert.Single(await _executions.ListAsync("named")).Parameters["Report"].GetString());
        Assert.DoesNotContain("ViolationReport", Assert.Single(await _executions.ListAsync("plain")).Parameters.Keys);
    }

    [Fact]
    public async Task One_monitoring_execution_starts_one_pipeline_execution_even_when_told_twice()
    {
        await AddPipelineAsync("retrain", "ViolationReport");
        var schedule = Schedule(new Tag(OnViolationTags.Pipeline, "retrain"));
        var execution = Execution(MonitoringExecutionStatus.CompletedWithViolations);

        await _listener.OnExecutionEndedAsync(execution, schedule, CancellationToken.None);
        await _listener.OnExecutionEndedAsync(execution, schedule, CancellationToken.None);
        Assert.Single(await _executions.ListAsync("retrain"));

        await _listener.OnExecutionEndedAsync(execution with { ScheduledTime = execution.ScheduledTime.AddHours(1) }, schedule, CancellationToken.None);
        Assert.Equal(2, (await _executions.ListAsync("retrain")).Count);
    }

    [Theory]
    [InlineData(MonitoringExecutionStatus.Completed)]
    [InlineData(MonitoringExecutionStatus.Failed)]
    [InlineData(MonitoringExecutionStatus.Stopped)]
    public async Task Executions_without_violations_start_nothing(MonitoringExecutionStatus status)
    {
        await AddPipelineAsync("retrain", "ViolationReport");

        await _listener.OnExecutionEndedAsync(Execution(status), Schedule(new Tag(OnViolationTags.Pipeline, "retrain")), CancellationToken.None);

        Assert.Empty(await _executions.ListAsync("retrain"));
    }

    [Fact]
    public async Task A_schedule_that_names_a_missing_pipeline_is_refused_and_one_that_names_none_is_not()
    {
        await AddPipelineAsync("retrain", null);

        var refused = await Assert.ThrowsAsync<KilnException>(() => _listener.CheckAsync(Schedule(new Tag(OnViolationTags.Pipeline, "nope")), CancellationToken.None));
        Assert.Equal(ErrorCode.InvalidParameterValue, refused.Code);
        Assert.Contains("nope", refused.Message, StringComparison.Ordinal);

        await _listener.CheckAsync(Schedule(new Tag(OnViolationTags.Pipeline, "retrain")), CancellationToken.None);
        await _listener.CheckAsync(Schedule(), CancellationToken.None);
    }

    private Task AddPipelineAsync(string name, string? parameter)
    {
        var parameters = parameter is null ? "[]" : $$"""[{"Name": "{{parameter}}", "Type": "String", "DefaultValue": "none"}]""";
        var definition = $$$"""{"Version": "2020-12-01", "Parameters": {{{parameters}}}, "Steps": [{"Name": "Fail", "Type": "Fail", "Arguments": {}}]}""";
        var now = DateTimeOffset.UtcNow;
        return _pipelines.AddAsync(new Pipeline { Name = name, DefinitionJson = definition, CreatedBy = "tests", CreationTime = now, LastModifiedTime = now });
    }

    private MonitoringSchedule Schedule(params Tag[] tags)
    {
        var now = DateTimeOffset.UtcNow;
        var schedule = new MonitoringSchedule
        {
            Name = "sched",
            Schedule = new ScheduleSpec("NOW"),
            JobDefinitionName = "def",
            EndpointName = "ep",
            CreationTime = now,
            LastModifiedTime = now,
            Tags = tags,
        };
        _schedules.Stored = schedule;
        return schedule;
    }

    private static MonitoringExecution Execution(MonitoringExecutionStatus status) => new()
    {
        ScheduleName = "sched",
        JobDefinitionName = "def",
        EndpointName = "ep",
        ScheduledTime = new DateTimeOffset(2026, 3, 4, 10, 0, 0, TimeSpan.Zero),
        Status = status,
        ReportUri = Report,
        CreationTime = DateTimeOffset.UtcNow,
        LastModifiedTime = DateTimeOffset.UtcNow,
    };

    private sealed class NoScheduler : IJobScheduler
    {
        public Task StartAsync(string kind, string name, CancellationToken ct = default) => Task.CompletedTask;

        public Task StopAsync(string kind, string name, CancellationToken ct = default) => Task.CompletedTask;
    }

    private sealed class Pipelines : IPipelineStore
    {
        private readonly ConcurrentDictionary<string, Pipeline> _all = new();

        public Task<bool> AddAsync(Pipeline pipeline, CancellationToken ct = default) => Task.FromResult(_all.TryAdd(pipeline.Name, pipeline));

        public Task<Pipeline?> FindAsync(string name, CancellationToken ct = default) => Task.FromResult(_all.GetValueOrDefault(name));

        public Task<Pipeline?> UpdateAsync(string name, Func<Pipeline, Pipeline?> change, CancellationToken ct = default) =>
            Task.FromResult(_all.TryGetValue(name, out var current) && change(current) is { } changed ? _all[name] = changed : null);

        public Task<bool> DeleteAsync(string name, CancellationToken ct = default) => Task.FromResult(_all.TryRemove(name, out _));

        public Task<Page<Pipeline>> ListAsync(ListQuery query, CancellationToken ct = default) => throw new NotSupportedException();
    }

    private sealed class Executions : IPipelineExecutionStore
    {
        private readonly ConcurrentDictionary<string, PipelineExecution> _all = new();

        public Task<bool> AddAsync(PipelineExecution execution, CancellationToken ct = default) => Task.FromResult(_all.TryAdd(execution.Id, execution));

        public Task<PipelineExecution?> FindAsync(string id, CancellationToken ct = default) => Task.FromResult(_all.GetValueOrDefault(id));

        public Task<PipelineExecution?> UpdateAsync(string id, Func<PipelineExecution, PipelineExecution?> change, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<PipelineExecution>> ListAsync(string pipelineName, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<PipelineExecution>>(_all.Values.Where(e => e.PipelineName == pipelineName).ToList());
    }

    /// <summary>One schedule, enough for the listener's tag write.</summary>
    private sealed class Schedules : IMonitoringStore
    {
        public MonitoringSchedule? Stored { get; set; }

        public Task<MonitoringSchedule?> UpdateScheduleAsync(string name, Func<MonitoringSchedule, MonitoringSchedule?> change, CancellationToken ct = default) =>
            Task.FromResult(Stored?.Name == name && change(Stored) is { } changed ? Stored = changed : null);

        public Task<MonitoringSchedule?> FindScheduleAsync(string name, CancellationToken ct = default) => Task.FromResult(Stored?.Name == name ? Stored : null);

        public Task<bool> AddJobDefinitionAsync(MonitorJobDefinition definition, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<MonitorJobDefinition?> FindJobDefinitionAsync(string name, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<bool> DeleteJobDefinitionAsync(string name, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<MonitorJobDefinition>> AllJobDefinitionsAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<bool> AddScheduleAsync(MonitoringSchedule schedule, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<MonitoringSchedule>> AllSchedulesAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<bool> AddExecutionAsync(MonitoringExecution execution, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<MonitoringExecution?> UpdateExecutionAsync(string name, Func<MonitoringExecution, MonitoringExecution?> change, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<MonitoringExecution>> UnfinishedExecutionsAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<MonitoringExecution>> ExecutionsAsync(string? scheduleName = null, CancellationToken ct = default) => throw new NotSupportedException();
    }
}
