namespace Kiln.Core.Monitoring;

/// <summary>Model Monitor's job definitions, schedules and their executions.</summary>
public interface IMonitoringStore
{
    /// <summary>Adds a job definition; false when the name is taken.</summary>
    Task<bool> AddJobDefinitionAsync(MonitorJobDefinition definition, CancellationToken ct = default);

    Task<MonitorJobDefinition?> FindJobDefinitionAsync(string name, CancellationToken ct = default);

    Task<bool> DeleteJobDefinitionAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<MonitorJobDefinition>> AllJobDefinitionsAsync(CancellationToken ct = default);

    /// <summary>Adds a schedule; false when the name is taken.</summary>
    Task<bool> AddScheduleAsync(MonitoringSchedule schedule, CancellationToken ct = default);

    Task<MonitoringSchedule?> FindScheduleAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes a schedule atomically (null from <paramref name="change"/> leaves it alone; the result is null then).</summary>
    Task<MonitoringSchedule?> UpdateScheduleAsync(string name, Func<MonitoringSchedule, MonitoringSchedule?> change, CancellationToken ct = default);

    /// <summary>Deletes a schedule and its executions.</summary>
    Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<MonitoringSchedule>> AllSchedulesAsync(CancellationToken ct = default);

    /// <summary>Adds an execution; false when the schedule already has one at that scheduled time.</summary>
    Task<bool> AddExecutionAsync(MonitoringExecution execution, CancellationToken ct = default);

    Task<MonitoringExecution?> UpdateExecutionAsync(string name, Func<MonitoringExecution, MonitoringExecution?> change, CancellationToken ct = default);

    /// <summary>The executions that have not ended (what the executor advances on every tick), oldest scheduled first.</summary>
    Task<IReadOnlyList<MonitoringExecution>> UnfinishedExecutionsAsync(CancellationToken ct = default);

    /// <summary>Every execution, or a schedule's only.</summary>
    Task<IReadOnlyList<MonitoringExecution>> ExecutionsAsync(string? scheduleName = null, CancellationToken ct = default);
}
