using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Kiln.Studio.Tests;

/// <summary>
/// The Canvas flow end to end in chromium: the bundled breast-cancer CSV uploaded, previewed, built into a model with
/// a quick AutoML build watched live, then one row predicted through the generated form and the whole file in batch.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class CanvasFlowTests(StudioFixture studio, ITestOutputHelper output)
{
    private const string Target = "diagnosis";

    [Fact]
    public async Task Breast_cancer_csv_to_a_97_percent_model_to_single_and_batch_predictions_in_the_browser()
    {
        var csv = SampleFile("breast_cancer.csv");
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var targetIndex = Array.IndexOf(header, Target);
        var page = await studio.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        await page.GotoAsync("/automl");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("AutoML");
        await StudioFixture.CheckPageAsync(page, "automl-jobs");

        // Upload → preview with the columns' types.
        await page.Locator("form.upload input[type=file]").SetInputFilesAsync(csv);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("breast_cancer.csv");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("569");
        var diagnosisRow = page.Locator("table.columns-table tbody tr").Filter(new() { HasText = Target });
        await Assertions.Expect(diagnosisRow).ToContainTextAsync("text");
        await Assertions.Expect(page.Locator("table.columns-table tbody tr").Filter(new() { HasText = "worst_radius" })).ToContainTextAsync("numeric");
        await Assertions.Expect(page.Locator("table.preview-rows tbody tr")).ToHaveCountAsync(10);
        await StudioFixture.CheckPageAsync(page, "canvas-dataset");

        // Quick build: the job page follows the job live until it completes.
        var name = "canvas-bc-" + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Column to predict").SelectOptionAsync(Target);
        await page.GetByLabel("Model name").FillAsync(name);
        await page.GetByLabel("Quick build", new() { Exact = false }).CheckAsync();
        var clock = Stopwatch.StartNew();
        await page.GetByRole(AriaRole.Button, new() { Name = "Build" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("#automl-live[data-live-connected=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#automl-status")).ToHaveTextAsync("Completed", new() { Timeout = 300_000 });
        output.WriteLine($"quick build of {name}: {clock.Elapsed.TotalSeconds:0} s");
        Assert.NotNull(await page.Locator("#automl-live").GetAttributeAsync("data-live-updates"));
        await Assertions.Expect(page.Locator("table.leaderboard tbody tr").First).ToContainTextAsync("best");
        var accuracy = double.Parse(await page.Locator("#best-accuracy").InnerTextAsync(), CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.97, $"best candidate's accuracy {accuracy}");
        await Assertions.Expect(page.Locator("#importance-heading")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-chart][data-chart-ready=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("details.report summary")).ToHaveCountAsync(4);
        await StudioFixture.CheckPageAsync(page, "automl-job");

        // One row through the form generated from the columns: a malignant and a benign row get their own label back.
        foreach (var row in new[] { lines[1], lines.Skip(1).First(line => line.Split(',')[targetIndex] != lines[1].Split(',')[targetIndex]) })
        {
            var cells = row.Split(',');
            for (var c = 0; c < header.Length; c++)
            {
                if (c != targetIndex)
                {
                    await page.GetByLabel(header[c], new() { Exact = true }).FillAsync(cells[c]);
                }
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Predict", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("#predicted-value")).ToHaveTextAsync(cells[targetIndex]);
        }

        await StudioFixture.CheckPageAsync(page, "automl-prediction");

        // Batch: the same file in, a CSV with one prediction per row out.
        await page.Locator("#batch input[type=file]").SetInputFilesAsync(csv);
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Predict and download" }).ClickAsync());
        var saved = Path.Combine(Path.GetTempPath(), $"{name}-predictions.csv");
        await download.SaveAsAsync(saved);
        var predicted = File.ReadAllLines(saved);
        File.Delete(saved);
        var predictedHeader = predicted[0].Split(',');
        var truth = Array.IndexOf(predictedHeader, Target);
        var answer = Array.IndexOf(predictedHeader, "predicted_" + Target);
        Assert.True(truth >= 0 && answer >= 0, predicted[0]);
        Assert.Equal(lines.Length, predicted.Length);
        var matching = predicted.Skip(1).Count(line => line.Split(',')[truth] == line.Split(',')[answer]);
        Assert.True(matching >= 0.97 * (lines.Length - 1), $"{matching} of {lines.Length - 1} batch predictions match the label");
        output.WriteLine($"whole flow: {clock.Elapsed.TotalSeconds:0} s; batch {matching}/{lines.Length - 1} right");
    }

    [Fact]
    public async Task Unknown_dataset_and_job_answer_404()
    {
        using var job = await studio.Http.GetAsync("automl/jobs/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, job.StatusCode);
        using var dataset = await studio.Http.GetAsync("automl/datasets/nosuchdata");
        Assert.Equal(HttpStatusCode.NotFound, dataset.StatusCode);
    }

    /// <summary>The repository's bundled sample data (what the CLI's quickstart ships), found from the test's output folder.</summary>
    private static string SampleFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples", "data", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"samples/data/{name} not found above {AppContext.BaseDirectory}");
    }
}
