namespace Kiln.Core.Monitoring;

public enum MonitoringAlertStatus
{
    OK,
    InAlert,
}

/// <summary>
/// One of a schedule's alerts (SageMaker's MonitoringAlertSummary). Kiln's choice: a schedule has one alert per check
/// it can raise, named after it with hyphens for underscores (SageMaker's alert names allow no underscores): for data
/// quality the six constraint check types (data-type-check, completeness-check, baseline-drift-check,
/// missing-column-check, extra-column-check, categorical-values-check); for model quality one per metric its
/// executions report (f1 → f1, true_positive_rate → true-positive-rate). An alert starts with DatapointsToAlert = EvaluationPeriod = 1 and is InAlert
/// while at least DatapointsToAlert of the schedule's last EvaluationPeriod executions violated its check
/// (<see cref="AlertEvaluation"/>); each change of status appends a <see cref="MonitoringAlertHistoryEntry"/>.
/// </summary>
public sealed record MonitoringAlert
{
    public string Key => KeyOf(ScheduleName, AlertName);

    public required string ScheduleName { get; init; }

    public required string AlertName { get; init; }

    public MonitoringAlertStatus Status { get; init; } = MonitoringAlertStatus.OK;

    public int DatapointsToAlert { get; init; } = 1;

    public int EvaluationPeriod { get; init; } = 1;

    public bool DashboardIndicatorEnabled { get; init; } = true;

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public static string KeyOf(string schedule, string alert) => $"{schedule}/{alert}";
}

/// <summary>One change of an alert's status.</summary>
public sealed record MonitoringAlertHistoryEntry
{
    /// <summary>Unique per entry: the alert and the moment, plus a sequence number for changes within one millisecond.</summary>
    public required string Key { get; init; }

    public required string ScheduleName { get; init; }

    public required string AlertName { get; init; }

    public required MonitoringAlertStatus Status { get; init; }

    public required DateTimeOffset CreationTime { get; init; }
}

/// <summary>The alert state machine: which status the latest executions put an alert in.</summary>
public static class AlertEvaluation
{
    /// <summary>
    /// InAlert when at least <paramref name="datapointsToAlert"/> of the newest <paramref name="evaluationPeriod"/>
    /// entries of <paramref name="violatedNewestFirst"/> are true; fewer executions than the period count only those there are.
    /// </summary>
    public static MonitoringAlertStatus Evaluate(IEnumerable<bool> violatedNewestFirst, int datapointsToAlert, int evaluationPeriod) =>
        violatedNewestFirst.Take(evaluationPeriod).Count(violated => violated) >= datapointsToAlert
            ? MonitoringAlertStatus.InAlert
            : MonitoringAlertStatus.OK;
}
