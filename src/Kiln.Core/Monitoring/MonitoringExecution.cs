namespace Kiln.Core.Monitoring;

public enum MonitoringExecutionStatus
{
    Pending,
    InProgress,
    Completed,
    CompletedWithViolations,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>One run of a schedule: the processing job that analyzed one window of captured data.</summary>
public sealed record MonitoringExecution
{
    /// <summary>The key: the schedule and its scheduled time (see <see cref="KeyOf"/>).</summary>
    public string Name => KeyOf(ScheduleName, ScheduledTime);

    public required string ScheduleName { get; init; }

    public required string JobDefinitionName { get; init; }

    public string MonitoringType { get; init; } = "DataQuality";

    public required string EndpointName { get; init; }

    public required DateTimeOffset ScheduledTime { get; init; }

    public MonitoringExecutionStatus Status { get; init; } = MonitoringExecutionStatus.Pending;

    /// <summary>The processing job that runs (or ran) the analysis; null until one is started.</summary>
    public string? ProcessingJobName { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>The s3:// folder the execution's reports (constraint_violations.json, statistics.json, …) are uploaded to; null until its job starts.</summary>
    public string? ReportUri { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    /// <summary>The statuses an execution ends in.</summary>
    public static readonly IReadOnlySet<MonitoringExecutionStatus> EndStatuses = new HashSet<MonitoringExecutionStatus>
    {
        MonitoringExecutionStatus.Completed, MonitoringExecutionStatus.CompletedWithViolations, MonitoringExecutionStatus.Failed, MonitoringExecutionStatus.Stopped,
    };

    public bool IsFinished => EndStatuses.Contains(Status);

    public static string KeyOf(string schedule, DateTimeOffset scheduledTime) => $"{schedule}/{scheduledTime.ToUnixTimeMilliseconds()}";
}
