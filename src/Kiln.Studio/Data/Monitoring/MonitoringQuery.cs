using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Studio.Data.Monitoring;

/// <summary>One point of a schedule's metric (a feature's drift or quality statistic) at one execution.</summary>
public sealed record MonitorPoint(DateTimeOffset ScheduledTime, double Value, bool Violated);

/// <summary>Everything the schedule page shows: the schedule, its metric series, executions (latest first) and alerts.</summary>
public sealed record ScheduleView(
    MonitoringSchedule Schedule,
    IReadOnlyDictionary<string, IReadOnlyList<MonitorPoint>> Series,
    IReadOnlyList<ExecutionResults> Results,
    IReadOnlyList<MonitoringExecution> Executions,
    IReadOnlyList<MonitoringAlert> Alerts)
{
    public string Fingerprint() =>
        $"{Schedule.Status}:{Schedule.LastModifiedTime.ToUnixTimeMilliseconds()}:{Results.Count}:" +
        string.Join(',', Executions.Select(e => $"{e.Name}={e.Status}")) + ":" + string.Join(',', Alerts.Select(a => $"{a.AlertName}={a.Status}"));
}

/// <summary>The monitoring pages' questions, asked of the monitoring services in process (the same metric series as <c>/api/kiln/monitoring-schedules/{name}/metrics</c>).</summary>
public sealed class MonitoringQuery(MonitoringService monitoring, MonitoringAlertsService alerts)
{
    private const int MaxExecutions = 100;

    public async Task<IReadOnlyList<MonitoringSchedule>> ListAsync(CancellationToken ct = default)
    {
        var all = new List<MonitoringSchedule>();
        string? token = null;
        do
        {
            var page = await monitoring.ListSchedulesAsync(new ListQuery(SortBy: ListSort.Name, Ascending: true, MaxResults: 100, PageToken: token), null, null, null, ct);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    /// <summary>The schedule page's data; null when there is no such schedule.</summary>
    public async Task<ScheduleView?> LoadAsync(string name, CancellationToken ct = default)
    {
        try
        {
            var (schedule, results) = await alerts.ResultsAsync(name, ct);
            var executions = await monitoring.ListExecutionsAsync(new ListQuery(MaxResults: MaxExecutions), new ExecutionFilter(ScheduleName: name), byScheduledTime: true, ct);
            var scheduleAlerts = await alerts.ListAlertsAsync(name, ct);
            return new ScheduleView(schedule, Series(results), results, executions.Items, scheduleAlerts);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <summary>Each metric's points in execution order (results come oldest first), metrics by name; a point is violated when its execution flagged its feature.</summary>
    private static SortedDictionary<string, IReadOnlyList<MonitorPoint>> Series(IReadOnlyList<ExecutionResults> results)
    {
        var series = new SortedDictionary<string, List<MonitorPoint>>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            foreach (var point in result.Points)
            {
                if (!series.TryGetValue(point.Metric, out var list))
                {
                    series[point.Metric] = list = [];
                }

                list.Add(new MonitorPoint(result.ScheduledTime, point.Value, result.Violated(point)));
            }
        }

        return new SortedDictionary<string, IReadOnlyList<MonitorPoint>>(series.ToDictionary(s => s.Key, s => (IReadOnlyList<MonitorPoint>)s.Value), StringComparer.Ordinal);
    }
}
