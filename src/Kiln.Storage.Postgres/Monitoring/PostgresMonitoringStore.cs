using Kiln.Core.Monitoring;

namespace Kiln.Storage.Postgres.Monitoring;

public sealed class PostgresMonitoringStore(PostgresDatabase db) : IMonitoringStore
{
    private readonly PostgresDocuments<MonitorJobDefinition> _definitions = new(db, "monitoring_job_definitions", definition => definition.Name, _ => "", definition => definition.CreationTime);

    private readonly PostgresDocuments<MonitoringSchedule> _schedules = new(db, "monitoring_schedules", schedule => schedule.Name, schedule => schedule.Status.ToString(), schedule => schedule.CreationTime, schedule => schedule.LastModifiedTime);

    private readonly PostgresDocuments<MonitoringExecution> _executions = new(db, "monitoring_executions", execution => execution.Name, execution => execution.Status.ToString(), execution => execution.CreationTime, execution => execution.LastModifiedTime);

    public Task<bool> AddJobDefinitionAsync(MonitorJobDefinition definition, CancellationToken ct = default) => _definitions.AddAsync(definition, ct);

    public Task<MonitorJobDefinition?> FindJobDefinitionAsync(string name, CancellationToken ct = default) => _definitions.FindAsync(name, ct);

    public Task<bool> DeleteJobDefinitionAsync(string name, CancellationToken ct = default) => _definitions.DeleteAsync(name, ct);

    public async Task<IReadOnlyList<MonitorJobDefinition>> AllJobDefinitionsAsync(CancellationToken ct = default) =>
        (await _definitions.AllAsync(ct).ConfigureAwait(false)).OrderBy(definition => definition.Name, StringComparer.Ordinal).ToList();

    public Task<bool> AddScheduleAsync(MonitoringSchedule schedule, CancellationToken ct = default) => _schedules.AddAsync(schedule, ct);

    public Task<MonitoringSchedule?> FindScheduleAsync(string name, CancellationToken ct = default) => _schedules.FindAsync(name, ct);

    public Task<MonitoringSchedule?> UpdateScheduleAsync(string name, Func<MonitoringSchedule, MonitoringSchedule?> change, CancellationToken ct = default) =>
        _schedules.UpdateAsync(name, change, ct);

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            if (await session.ExecuteAsync("DELETE FROM monitoring_schedules WHERE name = @name", ("name", name)).ConfigureAwait(false) != 1)
            {
                return false;
            }

            await session.ExecuteAsync("DELETE FROM monitoring_executions WHERE document ->> 'ScheduleName' = @name", ("name", name)).ConfigureAwait(false);
            return true;
        }, ct);

    public async Task<IReadOnlyList<MonitoringSchedule>> AllSchedulesAsync(CancellationToken ct = default) =>
        (await _schedules.AllAsync(ct).ConfigureAwait(false)).OrderBy(schedule => schedule.Name, StringComparer.Ordinal).ToList();

    public Task<bool> AddExecutionAsync(MonitoringExecution execution, CancellationToken ct = default) => _executions.AddAsync(execution, ct);

    public Task<MonitoringExecution?> UpdateExecutionAsync(string name, Func<MonitoringExecution, MonitoringExecution?> change, CancellationToken ct = default) =>
        _executions.UpdateAsync(name, change, ct);

    public Task<IReadOnlyList<MonitoringExecution>> UnfinishedExecutionsAsync(CancellationToken ct = default) =>
        _executions.StatusNotInAsync(MonitoringExecution.EndStatuses.Select(status => status.ToString()), ct);

    public async Task<IReadOnlyList<MonitoringExecution>> ExecutionsAsync(string? scheduleName = null, CancellationToken ct = default) =>
        scheduleName is null
            ? (await _executions.AllAsync(ct).ConfigureAwait(false)).OrderByDescending(execution => execution.ScheduledTime).ThenBy(execution => execution.Name, StringComparer.Ordinal).ToList()
            : await _executions.WhereAsync("ScheduleName", scheduleName, ct).ConfigureAwait(false);
}
