using Kiln.Core.Tracking;

namespace Kiln.Core.Monitoring;

public enum MonitoringScheduleStatus
{
    Pending,
    Scheduled,
    Stopped,
    Failed,
}

/// <summary>
/// When a schedule runs and over which window of captured data: <see cref="Expression"/> is SageMaker's
/// <c>cron(…)</c> or <c>NOW</c> (one execution at once); the window offsets are ISO-8601 durations before the
/// scheduled time (<c>-PT1H</c>), the last hour by default.
/// </summary>
public sealed record ScheduleSpec(string Expression, string? DataAnalysisStartTime = null, string? DataAnalysisEndTime = null);

public sealed record MonitoringSchedule
{
    public required string Name { get; init; }

    public required ScheduleSpec Schedule { get; init; }

    /// <summary>The named job definition the schedule runs; empty when it carries its own (<see cref="InlineDefinition"/>).</summary>
    public required string JobDefinitionName { get; init; }

    /// <summary>MonitoringScheduleConfig.MonitoringJobDefinition: a data quality job definition given with the schedule instead of by name.</summary>
    public MonitorJobDefinition? InlineDefinition { get; init; }

    public string MonitoringType { get; init; } = "DataQuality";

    public required string EndpointName { get; init; }

    public MonitoringScheduleStatus Status { get; init; } = MonitoringScheduleStatus.Scheduled;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    /// <summary>The scheduled time of the latest execution started (null before the first); the next cron occurrence counts from it.</summary>
    public DateTimeOffset? LastScheduledTime { get; init; }

    /// <summary>True while a NOW schedule still owes its one execution (set on create, update and start).</summary>
    public bool RunNowPending { get; init; }

    /// <summary>
    /// When the pending NOW run was asked for: its execution's scheduled time. Fixed when asked rather than read off the
    /// clock at the tick, so a tick that retries after a node was lost between adding the execution and claiming it finds
    /// the same execution instead of adding a second one.
    /// </summary>
    public DateTimeOffset? RunNowTime { get; init; }

    public string? LastExecutionName { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];
}
