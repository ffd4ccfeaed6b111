using Kiln.Core.Common;
using Kiln.Core.Monitoring;
using Kiln.Core.Tracking;
using Kiln.Pipelines.Definition;
using Microsoft.Extensions.Logging;

namespace Kiln.Pipelines;

/// <summary>
/// Closes Model Monitor's loop: when an execution of a schedule tagged <c>kiln:on-violation:pipeline</c> ends
/// CompletedWithViolations, starts that pipeline once, passing the violation report's s3 URI as the parameter the
/// <c>kiln:on-violation:parameter</c> tag names (ViolationReport by default) when the pipeline declares it. The
/// pipeline execution's ARN is written to the schedule's <c>kiln:on-violation:last-pipeline-execution</c> tag.
/// </summary>
public sealed partial class StartPipelineOnViolation(
    PipelineService pipelines,
    IMonitoringStore monitoring,
    ILogger<StartPipelineOnViolation> logger) : IMonitoringExecutionListener, IMonitoringScheduleCheck
{
    public const string StartedBy = "model-monitor";

    public async Task CheckAsync(MonitoringSchedule schedule, CancellationToken ct)
    {
        if (OnViolationTags.Find(schedule.Tags, OnViolationTags.Pipeline) is not { } name)
        {
            return;
        }

        try
        {
            await pipelines.DescribeAsync(name, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw KilnException.InvalidParameter($"Tag {OnViolationTags.Pipeline} names pipeline {name}, which does not exist: create it before the schedule that starts it.");
        }
    }

    public async Task OnExecutionEndedAsync(MonitoringExecution execution, MonitoringSchedule schedule, CancellationToken ct)
    {
        if (execution.Status != MonitoringExecutionStatus.CompletedWithViolations
            || OnViolationTags.Find(schedule.Tags, OnViolationTags.Pipeline) is not { Length: > 0 } name
            || execution.ReportUri is null)
        {
            return;
        }

        // The description names the monitoring execution, so a second call for it (after a node was lost) finds the first pipeline execution.
        var description = $"Started by monitoring execution {execution.Name} of schedule {schedule.Name}, which found violations.";
        var started = (await pipelines.ListExecutionsAsync(name, ct).ConfigureAwait(false)).FirstOrDefault(existing => existing.Description == description);
        if (started is null)
        {
            var pipeline = await pipelines.DescribeAsync(name, ct).ConfigureAwait(false);
            var parameter = OnViolationTags.Find(schedule.Tags, OnViolationTags.Parameter) is { Length: > 0 } named ? named : OnViolationTags.DefaultParameter;
            var declares = DefinitionParser.Parse(pipeline.DefinitionJson).Parameter(parameter) is not null;
            var report = $"{execution.ReportUri.TrimEnd('/')}/constraint_violations.json";
            started = await pipelines.StartAsync(name, null, description, declares ? [(parameter, report)] : [], StartedBy, Arns.DefaultRegion, ct).ConfigureAwait(false);
        }

        var arn = Arns.PipelineExecution(started.Region, name, started.Id);
        LogStarted(logger, name, arn, execution.Name);
        await monitoring.UpdateScheduleAsync(schedule.Name, current => current with
        {
            Tags = [.. current.Tags.Where(tag => tag.Key != OnViolationTags.LastPipelineExecution), new Tag(OnViolationTags.LastPipelineExecution, arn)],
        }, ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline {Pipeline} started ({ExecutionArn}) by violations in monitoring execution {MonitoringExecution}")]
    private static partial void LogStarted(ILogger logger, string pipeline, string executionArn, string monitoringExecution);
}
