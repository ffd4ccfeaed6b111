using Kiln.Core.Tracking;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>The runs table counts every matching run and offers as columns every key of the experiment, not only the page's.</summary>
[Collection(StudioCollection.Name)]
public sealed class RunsTableColumnsTests(StudioFixture studio)
{
    [Fact]
    public async Task The_column_chooser_offers_keys_only_runs_on_other_pages_have_and_the_caption_counts_all_matches()
    {
        var tracking = studio.Services.GetRequiredService<TrackingService>();
        var experimentId = await tracking.CreateExperimentAsync("studio-columns-" + Guid.NewGuid().ToString("N")[..6], null, null);
        for (var i = 0; i < 3; i++)
        {
            var run = await tracking.CreateRunAsync(experimentId, "someone", 1_780_000_000_000 + i, null, $"columns-run-{i}");
            // Only the oldest run, last when sorted by start time descending, logs the rare keys.
            Param[] parameters = i == 0 ? [new("lr", "0.1"), new("rare_knob", "7")] : [new("lr", "0.1")];
            Metric[] metrics = i == 0 ? [new("auc", 0.8, 1_780_000_000_000, 0), new("rare_score", 0.5, 1_780_000_000_000, 0)] : [new("auc", 0.8, 1_780_000_000_000, 0)];
            await tracking.LogBatchAsync(run.Info.RunId, metrics, parameters, []);
        }

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/experiments/{experimentId}?size=1");
        var rows = page.Locator("table.runs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("columns-run-2");
        await Assertions.Expect(page.Locator("table.runs caption")).ToHaveTextAsync("Runs 1–1 of 3");
        await Assertions.Expect(page.Locator("nav.pager")).ToContainTextAsync("Page 1 of 3");

        await page.GetByText("Columns", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("params.rare_knob")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("metrics.rare_score")).ToBeVisibleAsync();
        await StudioFixture.CheckPageAsync(page, "runs-table-all-columns");

        await page.GetByLabel("params.rare_knob").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.runs thead")).ToContainTextAsync("params.rare_knob");
        await page.GotoAsync($"/experiments/{experimentId}?size=1&filter={Uri.EscapeDataString("params.rare_knob = '7'")}");
        await Assertions.Expect(page.Locator("table.runs caption")).ToHaveTextAsync("Runs 1–1 of 1");
    }
}
