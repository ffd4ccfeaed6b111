using System.Net;
using System.Text;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>Each Studio page opened in chromium on real data: its content, a screenshot, and an axe-core pass.</summary>
[Collection(StudioCollection.Name)]
public sealed class StudioPagesTests(StudioFixture studio)
{
    [Fact]
    public async Task Home_shows_recent_runs_and_models_and_updates_live_when_a_run_is_logged()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        var response = await page.GotoAsync("/");

        Assert.Equal(200, response!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Home");
        await Assertions.Expect(page.Locator("#running-now")).ToContainTextAsync("xgboost-run");
        await Assertions.Expect(page.Locator("#running-now")).ToContainTextAsync(demo.ModelName);
        foreach (var area in new[] { "Experiments", "Models", "Jobs", "Endpoints", "Pipelines", "Lineage", "Monitoring" })
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = area, Exact = true })).ToBeVisibleAsync();
        }

        await StudioFixture.CheckPageAsync(page, "home");

        // Live: once the page follows the event stream, a run logged through the API appears without a reload.
        await Assertions.Expect(page.Locator("#running-now[data-live-connected=true]")).ToHaveCountAsync(1);
        await studio.CreateRunAsync(demo.ExperimentId, "live-run", new Dictionary<string, string>(), new Dictionary<string, double[]>(), startTime: 1_790_000_000_000);
        await Assertions.Expect(page.Locator("#running-now")).ToContainTextAsync("live-run", new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task Experiments_list_links_to_the_runs_table_with_metric_and_param_columns()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        await page.GotoAsync("/experiments");
        await StudioFixture.CheckPageAsync(page, "experiments");

        await page.GetByRole(AriaRole.Link, new() { Name = demo.ExperimentName }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(demo.ExperimentName);
        var table = page.Locator("table.runs");
        await Assertions.Expect(table.Locator("thead")).ToContainTextAsync("metrics.accuracy");
        await Assertions.Expect(table.Locator("thead")).ToContainTextAsync("params.model");
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(3);
        await StudioFixture.CheckPageAsync(page, "runs-table");
    }

    [Fact]
    public async Task Runs_table_filters_with_the_MLflow_grammar_sorts_by_a_metric_and_chooses_columns()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/experiments/{demo.ExperimentId}");

        await page.GetByLabel("Filter (MLflow search syntax)").FillAsync("metrics.accuracy > 0.9 AND params.model != 'forest'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.runs tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table.runs tbody")).ToContainTextAsync("xgboost-run");

        await page.GotoAsync($"/experiments/{demo.ExperimentId}");
        await page.Locator("thead").GetByRole(AriaRole.Link, new() { Name = "metrics.accuracy" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.runs tbody tr").First).ToContainTextAsync("xgboost-run");
        await page.Locator("thead").GetByRole(AriaRole.Link, new() { Name = "metrics.accuracy ▼" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.runs tbody tr").First).ToContainTextAsync("linear-run");

        await page.GotoAsync($"/experiments/{demo.ExperimentId}");
        await page.GetByText("Columns").ClickAsync();
        await page.GetByLabel("metrics.loss").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.runs thead")).Not.ToContainTextAsync("metrics.loss");
        await Assertions.Expect(page.Locator("table.runs thead")).ToContainTextAsync("metrics.accuracy");
    }

    [Fact]
    public async Task An_invalid_filter_shows_the_parser_message_not_an_error_page()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        var response = await page.GotoAsync($"/experiments/{demo.ExperimentId}?filter={Uri.EscapeDataString("metrics.accuracy >> 1 OR x")}");

        Assert.Equal(200, response!.Status);
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Invalid filter");
        await Assertions.Expect(alert).ToContainTextAsync("Invalid clause(s) in filter string");
        await StudioFixture.CheckPageAsync(page, "runs-invalid-filter");
    }

    [Fact]
    public async Task Run_page_shows_params_tags_metric_charts_datasets_and_previews_artifacts()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/runs/{demo.RunIds[0]}");

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("xgboost-run");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Parameters" })).ToContainTextAsync("learning_rate");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Tags" })).ToContainTextAsync("team");
        await Assertions.Expect(page.Locator("[data-chart][data-chart-ready=true]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByText("accuracy (50 points)")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Datasets this run used" })).ToContainTextAsync("breast-cancer");
        await StudioFixture.CheckPageAsync(page, "run");

        await page.GetByRole(AriaRole.Link, new() { Name = "predictions.csv" }).ClickAsync();
        var preview = page.GetByRole(AriaRole.Table, new() { Name = "First rows of predictions.csv" });
        await Assertions.Expect(preview.Locator("thead")).ToContainTextAsync("score");
        await Assertions.Expect(preview.Locator("tbody tr")).ToHaveCountAsync(2);
        await StudioFixture.CheckPageAsync(page, "run-artifact-csv");

        await page.GetByRole(AriaRole.Link, new() { Name = "notes.txt" }).ClickAsync();
        await Assertions.Expect(page.Locator(".preview pre")).ToHaveTextAsync("<b>trained</b> on the breast cancer data");

        await page.GetByRole(AriaRole.Link, new() { Name = "report.html" }).ClickAsync();
        await Assertions.Expect(page.Locator(".preview iframe[sandbox='']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.FrameLocator(".preview iframe").Locator("h1")).ToHaveTextAsync("Report");
        Assert.NotEqual("owned", await page.TitleAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "metrics/" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "summary.json" }).ClickAsync();
        await Assertions.Expect(page.Locator(".preview pre")).ToContainTextAsync("\"accuracy\": 0.97");

        await page.GotoAsync($"/runs/{demo.RunIds[0]}?path=plots&file=plots/roc.png");
        var image = page.Locator(".preview img");
        await Assertions.Expect(image).ToHaveAttributeAsync("alt", "plots/roc.png");
        Assert.True(await image.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 1"));
        await StudioFixture.CheckPageAsync(page, "run-artifact-image");

        // A path that would leave the run's artifacts finds nothing, on the page and from the bytes endpoint.
        await page.GotoAsync($"/runs/{demo.RunIds[0]}?path={Uri.EscapeDataString("../..")}");
        await Assertions.Expect(page.Locator(".artifacts")).ToContainTextAsync("No artifact here.");
        using var escape = await studio.Http.GetAsync($"/studio/runs/{demo.RunIds[0]}/artifact?path={Uri.EscapeDataString("../../mlruns.db")}");
        Assert.Equal(HttpStatusCode.NotFound, escape.StatusCode);
    }

    [Fact]
    public async Task Compare_overlays_metric_curves_and_draws_parallel_coordinates_and_a_scatter()
    {
        var demo = await DemoData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/experiments/{demo.ExperimentId}");
        foreach (var name in new[] { "xgboost-run", "linear-run", "forest-run" })
        {
            await page.GetByLabel("Compare " + name).CheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Compare selected runs" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Compare runs");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Runs compared" }).Locator("tbody tr")).ToHaveCountAsync(3);
        // Two metric curves (accuracy, loss), the parallel coordinates and the scatter.
        await Assertions.Expect(page.Locator("[data-chart][data-chart-ready=true]")).ToHaveCountAsync(4);
        var accuracy = await page.Locator("figure", new() { HasText = "accuracy" }).Locator("[data-chart]").GetAttributeAsync("data-chart");
        Assert.Contains("xgboost-run", accuracy);
        Assert.Contains("linear-run", accuracy);
        await StudioFixture.CheckPageAsync(page, "compare");

        await page.GetByLabel("Metric", new() { Exact = true }).SelectOptionAsync("metrics.loss");
        await page.GetByRole(AriaRole.Button, new() { Name = "Plot" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "params.learning_rate against metrics.loss, one point per run" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_missing_record_is_a_404_page_with_a_way_back()
    {
        var page = await studio.NewPageAsync();
        foreach (var (url, name) in new[] { ("/runs/no-such-run", "404-run"), ("/experiments/987654", "404-experiment"), ("/compare?runs=gone&runs=also-gone", "404-compare") })
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to Experiments" })).ToBeVisibleAsync();
            Assert.DoesNotContain("Exception", await page.ContentAsync(), StringComparison.Ordinal);
            await StudioFixture.CheckPageAsync(page, name);
        }
    }

    [Fact]
    public async Task Every_area_in_the_navigation_opens_its_page()
    {
        var page = await studio.NewPageAsync();
        await page.GotoAsync("/");
        foreach (var area in Areas.All)
        {
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = area.Title, Exact = true }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Uri(studio.BaseAddress, area.Href).ToString());
            await Assertions.Expect(page.Locator("h1")).ToBeVisibleAsync();
            Assert.DoesNotContain("Exception", await page.ContentAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_base_URL_serves_Studio_on_GET_and_stays_the_SageMaker_endpoint_on_POST()
    {
        using var get = await studio.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/html", get.Content.Headers.ContentType?.MediaType);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1") };
        request.Headers.Add("X-Amz-Target", "SageMaker.ListEndpoints");
        using var post = await studio.Http.SendAsync(request);
        var body = await post.Content.ReadAsStringAsync();
        Assert.True(post.StatusCode == HttpStatusCode.OK, $"{(int)post.StatusCode}: {body}");
        Assert.Contains("\"Endpoints\"", body, StringComparison.Ordinal);
    }
}
