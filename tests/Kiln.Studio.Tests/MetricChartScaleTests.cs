using System.Diagnostics;
using System.Text.Json.Nodes;
using Kiln.Studio.Data;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Kiln.Studio.Tests;

/// <summary>A metric of 100,000 points stays light: the server sends the chart a downsampled series that keeps its shape.</summary>
[Collection(StudioCollection.Name)]
public sealed class MetricChartScaleTests(StudioFixture studio, ITestOutputHelper output)
{
    private const int Points = 100_000;

    /// <summary>What the page may take on a warm server: the HTML answer, and the chart drawn in the browser (which
    /// includes fetching and starting ECharts; generous, as CI machines are shared).</summary>
    private static readonly TimeSpan RenderBudget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DrawnBudget = TimeSpan.FromSeconds(10);

    /// <summary>The page's HTML with the chart: the full series as JSON would be about 2.5 MB.</summary>
    private const int HtmlBudget = 250_000;

    [Fact]
    public async Task A_run_page_with_a_100000_point_metric_sends_a_bounded_chart_that_keeps_the_ends_and_extremes()
    {
        // A noisy decaying curve with one spike and one dip far from the ends: a sampler that averages or strides loses them.
        var random = new Random(25);
        var values = Enumerable.Range(0, Points).Select(step => Math.Round(2 * Math.Exp(-step / 30_000.0) + random.NextDouble() * 0.1, 6)).ToArray();
        values[0] = 3.25;
        values[^1] = 0.125;
        values[61_803] = 9.5;
        values[27_182] = -4.75;
        var experiment = await studio.CreateExperimentAsync("studio-long-metric-" + Guid.NewGuid().ToString("N")[..6]);
        var seeding = Stopwatch.StartNew();
        var (runId, _) = await studio.CreateRunAsync(experiment, "long-run", new Dictionary<string, string>(), new Dictionary<string, double[]> { ["loss"] = values });
        output.WriteLine($"logged {Points} points in {Points / 1000} log-batch calls: {seeding.ElapsedMilliseconds} ms");

        // Warm up once (the first render compiles the page's code paths), then time a server render and a browser load.
        using (await studio.Http.GetAsync($"runs/{runId}"))
        {
        }

        var render = Stopwatch.StartNew();
        using var response = await studio.Http.GetAsync($"runs/{runId}");
        var html = await response.Content.ReadAsStringAsync();
        render.Stop();
        output.WriteLine($"server render: {render.ElapsedMilliseconds} ms, {html.Length} chars of HTML");
        Assert.True(response.IsSuccessStatusCode);
        Assert.True(html.Length < HtmlBudget, $"the page is {html.Length} chars");
        Assert.True(render.Elapsed < RenderBudget, $"rendering took {render.ElapsedMilliseconds} ms");

        var page = await studio.NewPageAsync();
        var load = Stopwatch.StartNew();
        await page.GotoAsync($"/runs/{runId}");
        var chart = page.Locator("[data-chart-ready=true]");
        await Assertions.Expect(chart).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        load.Stop();
        output.WriteLine($"browser: chart drawn {load.ElapsedMilliseconds} ms after navigation");
        Assert.True(load.Elapsed < DrawnBudget, $"the chart was drawn after {load.ElapsedMilliseconds} ms");

        var option = JsonNode.Parse((await chart.GetAttributeAsync("data-chart"))!)!;
        var drawn = option["series"]![0]!["data"]!.AsArray().Select(point => (Step: point![0]!.GetValue<long>(), Value: point[1]!.GetValue<double>())).ToList();
        output.WriteLine($"the chart holds {drawn.Count} of {Points} points");
        Assert.InRange(drawn.Count, 100, MetricSeries.MaxPoints);
        Assert.Equal((0L, 3.25), drawn[0]);
        Assert.Equal(((long)Points - 1, 0.125), drawn[^1]);
        Assert.Equal(values.Max(), drawn.Max(point => point.Value));
        Assert.Equal(values.Min(), drawn.Min(point => point.Value));
        Assert.Contains((61_803L, 9.5), drawn);
        Assert.Contains((27_182L, -4.75), drawn);
        Assert.Equal(drawn.Select(point => point.Step).Order(), drawn.Select(point => point.Step));
        Assert.All(drawn, point => Assert.Equal(values[point.Step], point.Value));
        await Assertions.Expect(page.Locator("figcaption")).ToContainTextAsync($"{Points} points, {drawn.Count} drawn");
    }
}
