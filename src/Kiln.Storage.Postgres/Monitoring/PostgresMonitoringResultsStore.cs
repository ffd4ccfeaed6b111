using Kiln.Core.Monitoring;

namespace Kiln.Storage.Postgres.Monitoring;

public sealed class PostgresMonitoringResultsStore(PostgresDatabase db) : IMonitoringResultsStore
{
    private static readonly string[] Tables = ["monitoring_execution_results", "monitoring_alerts", "monitoring_alert_history"];

    private readonly PostgresDocuments<ExecutionResults> _results = new(db, "monitoring_execution_results", results => results.Name, _ => "", results => results.ScheduledTime);

    private readonly PostgresDocuments<MonitoringAlert> _alerts = new(db, "monitoring_alerts", alert => alert.Key, alert => alert.Status.ToString(), alert => alert.CreationTime, alert => alert.LastModifiedTime);

    private readonly PostgresDocuments<MonitoringAlertHistoryEntry> _history = new(db, "monitoring_alert_history", entry => entry.Key, entry => entry.Status.ToString(), entry => entry.CreationTime);

    public async Task SaveResultsAsync(ExecutionResults results, CancellationToken ct = default)
    {
        if (!await _results.AddAsync(results, ct).ConfigureAwait(false))
        {
            await _results.UpdateAsync(results.Name, _ => results, ct).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<ExecutionResults>> ResultsAsync(string scheduleName, CancellationToken ct = default) =>
        (await _results.WhereAsync("ScheduleName", scheduleName, ct).ConfigureAwait(false)).OrderBy(results => results.ScheduledTime).ToList();

    public Task<bool> AddAlertAsync(MonitoringAlert alert, CancellationToken ct = default) => _alerts.AddAsync(alert, ct);

    public Task<MonitoringAlert?> UpdateAlertAsync(string scheduleName, string alertName, Func<MonitoringAlert, MonitoringAlert?> change, CancellationToken ct = default) =>
        _alerts.UpdateAsync(MonitoringAlert.KeyOf(scheduleName, alertName), change, ct);

    public async Task<IReadOnlyList<MonitoringAlert>> AlertsAsync(string scheduleName, CancellationToken ct = default) =>
        (await _alerts.WhereAsync("ScheduleName", scheduleName, ct).ConfigureAwait(false)).OrderBy(alert => alert.AlertName, StringComparer.Ordinal).ToList();

    public async Task AddHistoryAsync(MonitoringAlertHistoryEntry entry, CancellationToken ct = default) => await _history.AddAsync(entry, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<MonitoringAlertHistoryEntry>> HistoryAsync(string? scheduleName = null, string? alertName = null, CancellationToken ct = default)
    {
        var entries = scheduleName is null
            ? await _history.AllAsync(ct).ConfigureAwait(false)
            : await _history.WhereAsync("ScheduleName", scheduleName, ct).ConfigureAwait(false);
        return entries.Where(entry => alertName is null || entry.AlertName == alertName)
            .OrderBy(entry => entry.CreationTime).ThenBy(entry => entry.Key, StringComparer.Ordinal).ToList();
    }

    public Task DeleteScheduleAsync(string scheduleName, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            foreach (var table in Tables)
            {
                await session.ExecuteAsync($"DELETE FROM {table} WHERE document ->> 'ScheduleName' = @name", ("name", scheduleName)).ConfigureAwait(false);
            }
        }, ct);
}
