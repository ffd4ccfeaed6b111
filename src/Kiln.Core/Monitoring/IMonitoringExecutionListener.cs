namespace Kiln.Core.Monitoring;

/// <summary>
/// Told once when a monitoring execution ends (Completed, CompletedWithViolations, Failed or Stopped), after its end is
/// stored: alerts, metric series and the retraining trigger hang off this. A listener that throws is logged and does
/// not stop the others or the executor.
/// </summary>
public interface IMonitoringExecutionListener
{
    Task OnExecutionEndedAsync(MonitoringExecution execution, MonitoringSchedule schedule, CancellationToken ct);
}
