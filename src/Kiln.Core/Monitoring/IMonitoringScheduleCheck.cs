namespace Kiln.Core.Monitoring;

/// <summary>
/// A check a Kiln extension makes on a schedule before it is created (for example that the pipeline its
/// <c>kiln:on-violation:pipeline</c> tag names exists); throws a <see cref="Common.KilnException"/> to refuse it.
/// </summary>
public interface IMonitoringScheduleCheck
{
    Task CheckAsync(MonitoringSchedule schedule, CancellationToken ct);
}
