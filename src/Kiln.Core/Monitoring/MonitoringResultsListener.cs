using Kiln.Core.Artifacts;
using Kiln.Core.Objects;

namespace Kiln.Core.Monitoring;

/// <summary>When an execution that produced reports ends, reads them from its report folder and records its metrics, violations and alerts.</summary>
public sealed class MonitoringResultsListener(ObjectStore objects, MonitoringAlertsService alerts, TimeProvider clock) : IMonitoringExecutionListener
{
    public async Task OnExecutionEndedAsync(MonitoringExecution execution, MonitoringSchedule schedule, CancellationToken ct)
    {
        if (execution.ReportUri is not { } folder || execution.Status is not (MonitoringExecutionStatus.Completed or MonitoringExecutionStatus.CompletedWithViolations))
        {
            return;
        }

        var statistics = await ReadAsync(folder, MonitoringReports.Statistics, ct).ConfigureAwait(false);
        var violations = await ReadAsync(folder, MonitoringReports.Violations, ct).ConfigureAwait(false);
        var drift = await ReadAsync(folder, MonitoringReports.Drift, ct).ConfigureAwait(false);
        var results = new ExecutionResults
        {
            ScheduleName = execution.ScheduleName,
            ScheduledTime = execution.ScheduledTime,
            MonitoringType = execution.MonitoringType,
            Points = MonitoringReports.ReadPoints(statistics, drift),
            Violations = MonitoringReports.ReadViolations(violations),
            CreationTime = clock.GetUtcNow(),
        };
        await alerts.RecordAsync(results, schedule, ct).ConfigureAwait(false);
    }

    /// <summary>A report's text, or null when the execution did not write it.</summary>
    private async Task<string?> ReadAsync(string folder, string file, CancellationToken ct)
    {
        var (bucket, key) = DataUris.S3Location($"{folder.TrimEnd('/')}/{file}");
        try
        {
            var (_, content) = await objects.GetAsync(bucket, key, ct).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                using var reader = new StreamReader(content);
                return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            }
        }
        catch (ObjectStoreException)
        {
            return null;
        }
    }
}
