using Kiln.Studio.Live;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Studio.Tests;

/// <summary>The live event stream over raw HTTP: <c>since</c> decides whether a page that is already behind hears about it at once.</summary>
[Collection(StudioCollection.Name)]
public sealed class LiveStreamTests(StudioFixture studio)
{
    [Fact]
    public async Task A_page_rendered_before_a_change_hears_changed_right_after_ready()
    {
        var experiment = await studio.CreateExperimentAsync("live-stream-" + Guid.NewGuid().ToString("N")[..6]);
        var (runId, _) = await studio.CreateRunAsync(experiment, "stream-run", new Dictionary<string, string>(), new Dictionary<string, double[]> { ["loss"] = [1.0] });

        var events = await ReadEventsAsync($"studio/events/run?key={runId}&since=rendered-before-the-change", TimeSpan.FromMilliseconds(800));

        Assert.Equal(["ready", "changed"], events);
    }

    [Fact]
    public async Task A_page_that_is_current_hears_only_ready_until_something_changes()
    {
        var experiment = await studio.CreateExperimentAsync("live-stream-" + Guid.NewGuid().ToString("N")[..6]);
        var (runId, _) = await studio.CreateRunAsync(experiment, "stream-run", new Dictionary<string, string>(), new Dictionary<string, double[]> { ["loss"] = [1.0] });
        var current = await studio.Services.GetRequiredService<LiveTopics>().FingerprintAsync(LiveTopics.Run, runId, CancellationToken.None);

        var quiet = await ReadEventsAsync($"studio/events/run?key={runId}&since={Uri.EscapeDataString(current!)}", StudioEvents.Interval * 2.5);
        Assert.Equal(["ready"], quiet);

        var reading = ReadEventsAsync($"studio/events/run?key={runId}&since={Uri.EscapeDataString(current!)}", StudioEvents.Interval * 4);
        await Task.Delay(StudioEvents.Interval / 2);
        await studio.MlflowAsync("runs/log-metric", new { run_id = runId, key = "loss", value = 0.5, timestamp = 1_780_000_100_000, step = 1 });
        Assert.Equal(["ready", "changed"], await reading);
    }

    [Fact]
    public async Task An_unknown_topic_answers_404()
    {
        using var response = await studio.Http.GetAsync("studio/events/no-such-topic");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<List<string>> ReadEventsAsync(string path, TimeSpan listenFor)
    {
        var events = new List<string>();
        using var stop = new CancellationTokenSource(listenFor);
        try
        {
            using var response = await studio.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    events.Add(line["event: ".Length..]);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // listened for as long as asked
        }

        return events;
    }
}
