using System.Text.Json;
using Kiln.Pipelines;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>The pipeline pages on a real pipeline run twice: executions, the step graph, step status and cache hits as the service has them, and Retry.</summary>
[Collection(StudioCollection.Name)]
public sealed class PipelinesPagesTests(StudioFixture studio)
{
    [Fact]
    public async Task Execution_page_draws_the_step_graph_and_shows_each_steps_status_and_cache_hit_as_the_service_does()
    {
        var data = await PipelineData.SeedAsync(studio);
        var service = studio.Services.GetRequiredService<PipelineService>();
        var page = await studio.NewPageAsync();

        await page.GotoAsync("/pipelines");
        await StudioFixture.CheckPageAsync(page, "pipelines");
        await page.GetByRole(AriaRole.Link, new() { Name = data.Pipeline }).ClickAsync();
        await Assertions.Expect(page.Locator("table.executions tbody tr")).ToHaveCountAsync(2);
        await StudioFixture.CheckPageAsync(page, "pipeline");

        await page.GetByRole(AriaRole.Link, new() { Name = data.SecondExecution }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Execution {data.SecondExecution}");
        await Assertions.Expect(page.Locator("[data-graph-ready=true]")).ToHaveCountAsync(1);
        var elements = JsonDocument.Parse((await page.Locator("[data-graph]").GetAttributeAsync("data-graph"))!).RootElement.EnumerateArray()
            .Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(["Train", "MakeModel", "Halt"], elements.Where(e => !e.TryGetProperty("source", out _)).Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(["Train->MakeModel", "MakeModel->Halt"], elements.Where(e => e.TryGetProperty("source", out _)).Select(e => e.GetProperty("id").GetString()));

        var execution = await service.DescribeExecutionAsync(data.SecondExecution);
        Assert.Equal(3, execution.Steps.Count);
        foreach (var step in execution.Steps)
        {
            await Assertions.Expect(page.Locator($"tr[data-step={step.Name}] [data-col=status]")).ToHaveTextAsync(step.Status.ToString());
        }

        Assert.Equal(data.FirstExecution, execution.Step("Train")!.CacheSourceExecutionId);
        await Assertions.Expect(page.Locator("tr[data-step=Train] [data-col=cache]")).ToContainTextAsync(data.FirstExecution);
        await Assertions.Expect(page.Locator("table.kv")).ToContainTextAsync("Rounds");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToBeDisabledAsync();
        await StudioFixture.CheckPageAsync(page, "pipeline-execution");
    }

    [Fact]
    public async Task Retry_button_runs_the_failed_steps_again_through_the_service()
    {
        var data = await PipelineData.SeedAsync(studio);
        var service = studio.Services.GetRequiredService<PipelineService>();
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/pipelines/{data.Pipeline}/executions/{data.FirstExecution}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retry started");

        var deadline = Environment.TickCount64 + 60_000;
        var execution = await service.DescribeExecutionAsync(data.FirstExecution);
        while (!(execution.IsFinished && execution.PriorAttempts.ContainsKey("Halt")) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(200);
            execution = await service.DescribeExecutionAsync(data.FirstExecution);
        }

        Assert.True(execution.PriorAttempts.ContainsKey("Halt"), "the retry did not reset the failed step");
        Assert.True(execution.IsFinished, $"the retried execution is still {execution.Status}");

        // Retrying again while it is finished is allowed; stopping a finished one is refused with the service's message.
        await page.GotoAsync($"/pipelines/{data.Pipeline}/executions/{data.FirstExecution}");
        await Assertions.Expect(page.Locator("#execution-live[data-live-connected=true]")).ToHaveCountAsync(1);
        await page.EvalOnSelectorAsync("form[action$='/stop'] button", "b => b.removeAttribute('disabled')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already ended");
    }

    [Fact]
    public async Task Unknown_pipeline_or_execution_answers_404()
    {
        var data = await PipelineData.SeedAsync(studio);
        var page = await studio.NewPageAsync();
        Assert.Equal(404, (await page.GotoAsync("/pipelines/no-such-pipeline"))!.Status);
        Assert.Equal(404, (await page.GotoAsync($"/pipelines/{data.Pipeline}/executions/no-such-execution"))!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to Pipelines" })).ToBeVisibleAsync();
    }
}
