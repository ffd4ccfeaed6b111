namespace Kiln.Core.Monitoring;

/// <summary>What Model Monitor's executions measured (metric series, violations) and the alerts raised on them.</summary>
public interface IMonitoringResultsStore
{
    /// <summary>Stores an execution's results, replacing what an earlier call stored for the same execution.</summary>
    Task SaveResultsAsync(ExecutionResults results, CancellationToken ct = default);

    /// <summary>A schedule's execution results, oldest scheduled first.</summary>
    Task<IReadOnlyList<ExecutionResults>> ResultsAsync(string scheduleName, CancellationToken ct = default);

    /// <summary>Adds an alert; false when the schedule already has one of that name.</summary>
    Task<bool> AddAlertAsync(MonitoringAlert alert, CancellationToken ct = default);

    /// <summary>Reads, changes and writes an alert atomically (null from <paramref name="change"/> leaves it alone; the result is null then, as for an unknown alert).</summary>
    Task<MonitoringAlert?> UpdateAlertAsync(string scheduleName, string alertName, Func<MonitoringAlert, MonitoringAlert?> change, CancellationToken ct = default);

    /// <summary>A schedule's alerts, by name.</summary>
    Task<IReadOnlyList<MonitoringAlert>> AlertsAsync(string scheduleName, CancellationToken ct = default);

    Task AddHistoryAsync(MonitoringAlertHistoryEntry entry, CancellationToken ct = default);

    /// <summary>The status changes of every alert, or of a schedule's, or of one alert, oldest first.</summary>
    Task<IReadOnlyList<MonitoringAlertHistoryEntry>> HistoryAsync(string? scheduleName = null, string? alertName = null, CancellationToken ct = default);

    /// <summary>Forgets a schedule's results, alerts and their history.</summary>
    Task DeleteScheduleAsync(string scheduleName, CancellationToken ct = default);
}
