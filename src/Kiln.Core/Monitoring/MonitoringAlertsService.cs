using Kiln.Core.Common;

namespace Kiln.Core.Monitoring;

/// <summary>Model Monitor's alerts and metric series: records what each execution measured and moves the schedule's alerts (see <see cref="MonitoringAlert"/>).</summary>
public sealed class MonitoringAlertsService(IMonitoringStore monitoring, IMonitoringResultsStore store, TimeProvider clock)
{
    /// <summary>The check types a data quality execution can raise, one alert each.</summary>
    public static readonly IReadOnlyList<string> DataQualityChecks =
        ["data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check", "extra_column_check", "categorical_values_check"];

    /// <summary>Stores an ended execution's results and re-evaluates every alert of its schedule.</summary>
    public async Task RecordAsync(ExecutionResults results, MonitoringSchedule schedule, CancellationToken ct = default)
    {
        // A schedule deleted (or deleted and created again) while this execution ran: what it measured belongs to nobody now.
        if (await monitoring.FindScheduleAsync(schedule.Name, ct).ConfigureAwait(false) is not { } current || current.CreationTime != schedule.CreationTime)
        {
            return;
        }

        await store.SaveResultsAsync(results, ct).ConfigureAwait(false);
        if (await monitoring.FindScheduleAsync(schedule.Name, ct).ConfigureAwait(false) is null)
        {
            await store.DeleteScheduleAsync(schedule.Name, ct).ConfigureAwait(false);
            return;
        }

        var history = await store.ResultsAsync(schedule.Name, ct).ConfigureAwait(false);
        foreach (var alert in await EnsureAlertsAsync(schedule, history, ct).ConfigureAwait(false))
        {
            await EvaluateAsync(alert, history, ct).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<MonitoringAlert>> ListAlertsAsync(string scheduleName, CancellationToken ct = default)
    {
        var schedule = await ScheduleAsync(scheduleName, ct).ConfigureAwait(false);
        return await EnsureAlertsAsync(schedule, await store.ResultsAsync(scheduleName, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>Changes an alert's thresholds (DatapointsToAlert must not exceed EvaluationPeriod) and re-evaluates it on the executions so far.</summary>
    public async Task<MonitoringAlert> UpdateAlertAsync(string scheduleName, string alertName, int datapointsToAlert, int evaluationPeriod, CancellationToken ct = default)
    {
        if (datapointsToAlert > evaluationPeriod)
        {
            throw KilnException.InvalidParameter($"DatapointsToAlert ({datapointsToAlert}) must not be greater than EvaluationPeriod ({evaluationPeriod}).");
        }

        var alerts = await ListAlertsAsync(scheduleName, ct).ConfigureAwait(false);
        if (alerts.All(alert => alert.AlertName != alertName))
        {
            throw KilnException.NotFound($"Could not find monitoring alert {alertName} of monitoring schedule {scheduleName}; its alerts are {string.Join(", ", alerts.Select(alert => alert.AlertName))}.");
        }

        var updated = await store.UpdateAlertAsync(scheduleName, alertName, current => current with
        {
            DatapointsToAlert = datapointsToAlert,
            EvaluationPeriod = evaluationPeriod,
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find monitoring alert {alertName}.");
        return await EvaluateAsync(updated, await store.ResultsAsync(scheduleName, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>The status changes of a schedule's alerts (or of one alert, or of every schedule's), oldest first; an unknown schedule is ResourceNotFound.</summary>
    public async Task<IReadOnlyList<MonitoringAlertHistoryEntry>> HistoryAsync(string? scheduleName, string? alertName, CancellationToken ct = default)
    {
        if (scheduleName is not null)
        {
            await ScheduleAsync(scheduleName, ct).ConfigureAwait(false);
        }

        return await store.HistoryAsync(scheduleName, alertName, ct).ConfigureAwait(false);
    }

    /// <summary>A schedule's execution results, oldest first: the metric series.</summary>
    public async Task<(MonitoringSchedule Schedule, IReadOnlyList<ExecutionResults> Results)> ResultsAsync(string scheduleName, CancellationToken ct = default)
    {
        var schedule = await ScheduleAsync(scheduleName, ct).ConfigureAwait(false);
        return (schedule, await store.ResultsAsync(scheduleName, ct).ConfigureAwait(false));
    }

    /// <summary>Whether one execution violated the check an alert watches: a check type for data quality, a metric otherwise.</summary>
    public static bool Violates(ExecutionResults results, string monitoringType, string alertName) =>
        monitoringType == MonitoringTypes.DataQuality
            ? results.Violations.Any(violation => AlertNameOf(violation.CheckType) == alertName)
            : results.Violations.Any(violation => AlertNameOf(violation.Feature) == alertName);

    /// <summary>
    /// The alert watching a check type or metric: SageMaker's alert names allow letters, digits and hyphens only
    /// (<c>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}</c>), so <c>baseline_drift_check</c> is watched by <c>baseline-drift-check</c>.
    /// </summary>
    public static string AlertNameOf(string checkOrMetric)
    {
        var name = new string(checkOrMetric.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return name.Length > 63 ? name[..63].TrimEnd('-') : name;
    }

    private async Task<MonitoringSchedule> ScheduleAsync(string name, CancellationToken ct) =>
        await monitoring.FindScheduleAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find monitoring schedule {name}.");

    private async Task<IReadOnlyList<MonitoringAlert>> EnsureAlertsAsync(MonitoringSchedule schedule, IReadOnlyList<ExecutionResults> results, CancellationToken ct)
    {
        var names = schedule.MonitoringType == MonitoringTypes.DataQuality
            ? DataQualityChecks.Select(AlertNameOf).ToList()
            : results.SelectMany(result => result.Points.Select(point => point.Subject).Concat(result.Violations.Select(violation => violation.Feature))).Select(AlertNameOf).Distinct().ToList();
        var existing = (await store.AlertsAsync(schedule.Name, ct).ConfigureAwait(false)).Select(alert => alert.AlertName).ToHashSet(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        foreach (var name in names.Where(name => !existing.Contains(name)))
        {
            await store.AddAlertAsync(new MonitoringAlert { ScheduleName = schedule.Name, AlertName = name, CreationTime = now, LastModifiedTime = now }, ct).ConfigureAwait(false);
        }

        return await store.AlertsAsync(schedule.Name, ct).ConfigureAwait(false);
    }

    private async Task<MonitoringAlert> EvaluateAsync(MonitoringAlert alert, IReadOnlyList<ExecutionResults> oldestFirst, CancellationToken ct)
    {
        var status = AlertEvaluation.Evaluate(
            oldestFirst.Reverse().Select(result => Violates(result, result.MonitoringType, alert.AlertName)), alert.DatapointsToAlert, alert.EvaluationPeriod);
        var now = clock.GetUtcNow();
        var changed = await store.UpdateAlertAsync(alert.ScheduleName, alert.AlertName, current =>
            current.Status == status ? null : current with { Status = status, LastModifiedTime = now }, ct).ConfigureAwait(false);
        if (changed is null)
        {
            return alert with { Status = status };
        }

        await store.AddHistoryAsync(new MonitoringAlertHistoryEntry
        {
            Key = $"{changed.Key}/{now.ToUnixTimeMilliseconds()}/{Guid.NewGuid():N}",
            ScheduleName = changed.ScheduleName,
            AlertName = changed.AlertName,
            Status = status,
            CreationTime = now,
        }, ct).ConfigureAwait(false);
        return changed;
    }
}
