using Kiln.Core.Common;
using Kiln.Core.Monitoring;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>The monitoring pages on a real data quality schedule with one execution: status, per-feature series and alerts as the services have them.</summary>
[Collection(StudioCollection.Name)]
public sealed class MonitoringPagesTests(StudioFixture studio)
{
    [Fact]
    public async Task Schedule_page_shows_the_execution_the_metric_series_and_the_alerts_the_services_report()
    {
        var data = await MonitoringData.SeedAsync(studio);
        var monitoring = studio.Services.GetRequiredService<MonitoringService>();
        var alerts = studio.Services.GetRequiredService<MonitoringAlertsService>();
        var page = await studio.NewPageAsync();

        await page.GotoAsync("/monitoring");
        await StudioFixture.CheckPageAsync(page, "monitoring");
        await page.GetByRole(AriaRole.Link, new() { Name = data.Schedule }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(data.Schedule);

        var executions = (await monitoring.ListExecutionsAsync(new ListQuery(MaxResults: 100), new ExecutionFilter(ScheduleName: data.Schedule), true)).Items;
        Assert.NotEmpty(executions);
        await Assertions.Expect(page.Locator("table.executions tbody tr")).ToHaveCountAsync(executions.Count);
        await Assertions.Expect(page.Locator("table.executions [data-col=status]")).ToHaveTextAsync(executions.Select(e => e.Status.ToString()).ToArray());

        var (_, results) = await alerts.ResultsAsync(data.Schedule);
        var metrics = results.SelectMany(r => r.Points).Select(p => p.Metric).Distinct().Count();
        Assert.True(metrics > 0, "no metric reported: " + string.Join("; ", executions.Select(e => $"{e.Status} {e.FailureReason}")));
        await Assertions.Expect(page.Locator("figure[data-metric]")).ToHaveCountAsync(Math.Min(metrics, 48));
        await Assertions.Expect(page.Locator("figure[data-metric] [data-chart-ready=true]").First).ToBeVisibleAsync();

        foreach (var alert in await alerts.ListAlertsAsync(data.Schedule))
        {
            await Assertions.Expect(page.Locator($"tr[data-alert='{alert.AlertName}'] [data-col=status]")).ToHaveTextAsync(alert.Status.ToString());
        }

        await StudioFixture.CheckPageAsync(page, "monitoring-schedule");
    }

    [Fact]
    public async Task Unknown_schedule_answers_404()
    {
        var page = await studio.NewPageAsync();
        Assert.Equal(404, (await page.GotoAsync("/monitoring/no-such-schedule"))!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to Monitoring" })).ToBeVisibleAsync();
    }
}
