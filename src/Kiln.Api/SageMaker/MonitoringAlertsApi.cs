using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Model Monitor's alerts: ListMonitoringAlerts, ListMonitoringAlertHistory and UpdateMonitoringAlert. Kiln gives a
/// schedule one alert per check it can raise (data quality: one per constraint check type, baseline_drift_check watched by
/// baseline-drift-check; model quality: one per metric), each InAlert while at least DatapointsToAlert of the last EvaluationPeriod executions violated it (1 of 1
/// until updated); see <see cref="MonitoringAlert"/>.
/// </summary>
internal static class MonitoringAlertsApi
{
    public static void Register()
    {
        SageMakerApi.Add<ListMonitoringAlertsRequest>("ListMonitoringAlerts", ListAlertsAsync);
        SageMakerApi.Add<ListMonitoringAlertHistoryRequest>("ListMonitoringAlertHistory", ListHistoryAsync);
        SageMakerApi.Add<UpdateMonitoringAlertRequest>("UpdateMonitoringAlert", UpdateAlertAsync);
    }

    private static async Task<object?> ListAlertsAsync(ListMonitoringAlertsRequest request, SageMakerCall call)
    {
        var alerts = await call.Service<MonitoringAlertsService>().ListAlertsAsync(request.MonitoringScheduleName!, call.Aborted);
        var page = PageToken.Slice(alerts, request.NextToken, request.MaxResults ?? 10);
        return new ListMonitoringAlertsResponse
        {
            MonitoringAlertSummaries = page.Items.Select(alert => new MonitoringAlertSummary
            {
                MonitoringAlertName = alert.AlertName,
                CreationTime = alert.CreationTime,
                LastModifiedTime = alert.LastModifiedTime,
                AlertStatus = alert.Status.ToString(),
                DatapointsToAlert = alert.DatapointsToAlert,
                EvaluationPeriod = alert.EvaluationPeriod,
                Actions = new MonitoringAlertActions { ModelDashboardIndicator = new ModelDashboardIndicatorAction { Enabled = alert.DashboardIndicatorEnabled } },
            }).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static async Task<object?> ListHistoryAsync(ListMonitoringAlertHistoryRequest request, SageMakerCall call)
    {
        var history = await call.Service<MonitoringAlertsService>().HistoryAsync(request.MonitoringScheduleName, request.MonitoringAlertName, call.Aborted);
        var matching = history
            .Where(entry => request.StatusEquals is null || entry.Status.ToString() == request.StatusEquals)
            .Where(entry => request.CreationTimeAfter is not { } after || entry.CreationTime > after)
            .Where(entry => request.CreationTimeBefore is not { } before || entry.CreationTime < before);
        var ascending = request.SortOrder == "Ascending";
        var sorted = (request.SortBy == "Status"
            ? (ascending ? matching.OrderBy(entry => entry.Status.ToString(), StringComparer.Ordinal) : matching.OrderByDescending(entry => entry.Status.ToString(), StringComparer.Ordinal))
                .ThenBy(entry => entry.CreationTime)
            : ascending ? matching.OrderBy(entry => entry.CreationTime) : matching.OrderByDescending(entry => entry.CreationTime)).ToList();
        var page = PageToken.Slice(sorted, request.NextToken, request.MaxResults ?? 10);
        return new ListMonitoringAlertHistoryResponse
        {
            MonitoringAlertHistory = page.Items.Select(entry => new MonitoringAlertHistorySummary
            {
                MonitoringScheduleName = entry.ScheduleName,
                MonitoringAlertName = entry.AlertName,
                CreationTime = entry.CreationTime,
                AlertStatus = entry.Status.ToString(),
            }).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static async Task<object?> UpdateAlertAsync(UpdateMonitoringAlertRequest request, SageMakerCall call)
    {
        var updated = await call.Service<MonitoringAlertsService>().UpdateAlertAsync(
            request.MonitoringScheduleName!, request.MonitoringAlertName!, request.DatapointsToAlert!.Value, request.EvaluationPeriod!.Value, call.Aborted);
        return new UpdateMonitoringAlertResponse
        {
            MonitoringScheduleArn = call.Arn("monitoring-schedule", updated.ScheduleName),
            MonitoringAlertName = updated.AlertName,
        };
    }
}
