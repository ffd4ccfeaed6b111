using Kiln.Core.Monitoring;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IMonitoringResultsStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class MonitoringResultsStoreContract
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IMonitoringResultsStore? _store;

    protected abstract IMonitoringResultsStore CreateStore();

    protected IMonitoringResultsStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task Results_are_kept_per_schedule_oldest_first_and_saving_again_replaces_them()
    {
        await Store.SaveResultsAsync(Results("s1", Epoch.AddHours(1), 2.0));
        await Store.SaveResultsAsync(Results("s1", Epoch, 1.0));
        await Store.SaveResultsAsync(Results("s2", Epoch, 9.0));
        await Store.SaveResultsAsync(Results("s1", Epoch.AddHours(1), 3.0) with { Violations = [new MetricViolation("age", "baseline_drift_check", "drifted")] });

        var results = await Store.ResultsAsync("s1");

        Assert.Equal([Epoch, Epoch.AddHours(1)], results.Select(result => result.ScheduledTime));
        Assert.Equal([1.0, 3.0], results.Select(result => result.Points.Single().Value));
        Assert.Equal(new MetricViolation("age", "baseline_drift_check", "drifted"), results[1].Violations.Single());
        Assert.Empty(await Store.ResultsAsync("s3"));
    }

    [StoreFact]
    public async Task An_alert_is_added_once_and_updated_atomically()
    {
        Assert.True(await Store.AddAlertAsync(Alert("s1", "completeness_check")));
        Assert.False(await Store.AddAlertAsync(Alert("s1", "completeness_check") with { DatapointsToAlert = 3 }));
        Assert.True(await Store.AddAlertAsync(Alert("s1", "baseline_drift_check")));
        Assert.True(await Store.AddAlertAsync(Alert("s2", "completeness_check")));

        var updated = await Store.UpdateAlertAsync("s1", "completeness_check", current => current with { Status = MonitoringAlertStatus.InAlert, EvaluationPeriod = 3 });
        Assert.Equal(MonitoringAlertStatus.InAlert, updated!.Status);
        Assert.Null(await Store.UpdateAlertAsync("s1", "completeness_check", current => current.Status == MonitoringAlertStatus.InAlert ? null : current));
        Assert.Null(await Store.UpdateAlertAsync("s1", "missing", current => current));

        var alerts = await Store.AlertsAsync("s1");
        Assert.Equal(["baseline_drift_check", "completeness_check"], alerts.Select(alert => alert.AlertName));
        Assert.Equal((MonitoringAlertStatus.InAlert, 1, 3), (alerts[1].Status, alerts[1].DatapointsToAlert, alerts[1].EvaluationPeriod));
        Assert.Equal(MonitoringAlertStatus.OK, (await Store.AlertsAsync("s2")).Single().Status);
    }

    [StoreFact]
    public async Task History_is_filtered_by_schedule_and_alert_oldest_first()
    {
        await Store.AddHistoryAsync(Entry("s1", "a", Epoch.AddMinutes(2), MonitoringAlertStatus.OK));
        await Store.AddHistoryAsync(Entry("s1", "a", Epoch, MonitoringAlertStatus.InAlert));
        await Store.AddHistoryAsync(Entry("s1", "b", Epoch.AddMinutes(1), MonitoringAlertStatus.InAlert));
        await Store.AddHistoryAsync(Entry("s2", "a", Epoch, MonitoringAlertStatus.InAlert));

        Assert.Equal([Epoch, Epoch.AddMinutes(2)], (await Store.HistoryAsync("s1", "a")).Select(entry => entry.CreationTime));
        Assert.Equal(["a", "b", "a"], (await Store.HistoryAsync("s1")).Select(entry => entry.AlertName));
        Assert.Equal(4, (await Store.HistoryAsync()).Count);
        Assert.Equal(["s1", "s2"], (await Store.HistoryAsync(alertName: "a")).Select(entry => entry.ScheduleName).Distinct().Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task Deleting_a_schedule_forgets_only_its_results_alerts_and_history()
    {
        foreach (var schedule in new[] { "s1", "s2" })
        {
            await Store.SaveResultsAsync(Results(schedule, Epoch, 1.0));
            await Store.AddAlertAsync(Alert(schedule, "a"));
            await Store.AddHistoryAsync(Entry(schedule, "a", Epoch, MonitoringAlertStatus.InAlert));
        }

        await Store.DeleteScheduleAsync("s1");

        Assert.Empty(await Store.ResultsAsync("s1"));
        Assert.Empty(await Store.AlertsAsync("s1"));
        Assert.Empty(await Store.HistoryAsync("s1"));
        Assert.Single(await Store.ResultsAsync("s2"));
        Assert.Single(await Store.AlertsAsync("s2"));
        Assert.Single(await Store.HistoryAsync("s2"));
    }

    private static ExecutionResults Results(string schedule, DateTimeOffset scheduled, double mean) => new()
    {
        ScheduleName = schedule,
        ScheduledTime = scheduled,
        Points = [new MetricPoint("age.mean", "age", mean)],
        CreationTime = scheduled,
    };

    private static MonitoringAlert Alert(string schedule, string name) => new() { ScheduleName = schedule, AlertName = name, CreationTime = Epoch, LastModifiedTime = Epoch };

    private static MonitoringAlertHistoryEntry Entry(string schedule, string alert, DateTimeOffset at, MonitoringAlertStatus status) => new()
    {
        Key = $"{schedule}/{alert}/{at.ToUnixTimeMilliseconds()}",
        ScheduleName = schedule,
        AlertName = alert,
        Status = status,
        CreationTime = at,
    };
}
