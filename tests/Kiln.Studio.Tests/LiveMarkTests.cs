using Kiln.Studio.Live;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// A change that lands while a live page is being rendered still reaches it. The server here makes the change right
/// before the page's fingerprint read returns: a page that reads its mark first then loads the changed data, while a
/// page that loaded its data first would render the old state under the new fingerprint and never hear of the change.
/// </summary>
public sealed class LiveMarkTests(LiveMarkTests.ChangingStudio studio) : IClassFixture<LiveMarkTests.ChangingStudio>
{
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 5_000 };

    [Fact]
    public async Task A_run_finishing_while_its_page_renders_shows_as_finished()
    {
        var experiment = await studio.CreateExperimentAsync("live-mark-" + Guid.NewGuid().ToString("N")[..6]);
        var runId = (await studio.MlflowAsync("runs/create", new { experiment_id = experiment, run_name = "finishing-run", start_time = 1_780_000_000_000 }))
            .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        studio.Fingerprints.ChangeBeforeNextReading(LiveTopics.Run, runId, () =>
            studio.MlflowAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 1_780_000_065_000 }));

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}");

        await Assertions.Expect(page.Locator("#run-live .status").First).ToHaveTextAsync("Finished", new() { Timeout = 5_000 });
        Assert.False(studio.Fingerprints.IsArmed);
    }

    [Fact]
    public async Task A_run_logged_while_the_home_page_renders_is_on_it()
    {
        var experiment = await studio.CreateExperimentAsync("live-mark-" + Guid.NewGuid().ToString("N")[..6]);
        var name = "home-run-" + Guid.NewGuid().ToString("N")[..6];
        studio.Fingerprints.ChangeBeforeNextReading(LiveTopics.Home, null, () =>
            studio.MlflowAsync("runs/create", new { experiment_id = experiment, run_name = name, start_time = 1_800_000_000_000 }));

        var page = await studio.NewPageAsync();
        await page.GotoAsync("/");

        await Assertions.Expect(page.Locator("#running-now")).ToContainTextAsync(name, Soon);
        Assert.False(studio.Fingerprints.IsArmed);
    }

    /// <summary>A Studio server whose live fingerprints can make a change just before one reading is taken.</summary>
    public sealed class ChangingStudio() : StudioFixture(options => options, builder => builder.Services.AddSingleton<ILiveFingerprints, ChangeBeforeReading>())
    {
        public ChangeBeforeReading Fingerprints => (ChangeBeforeReading)Services.GetRequiredService<ILiveFingerprints>();
    }

    /// <summary>Studio's fingerprints, with one change run before the next reading of an armed topic and key.</summary>
    public sealed class ChangeBeforeReading(LiveTopics topics) : ILiveFingerprints
    {
        private readonly Lock _gate = new();
        private (string Topic, string? Key, Func<Task> Change)? _armed;

        public bool IsArmed
        {
            get
            {
                lock (_gate)
                {
                    return _armed is not null;
                }
            }
        }

        public void ChangeBeforeNextReading(string topic, string? key, Func<Task> change)
        {
            lock (_gate)
            {
                _armed = (topic, key, change);
            }
        }

        public async Task<string?> FingerprintAsync(string topic, string? key, CancellationToken ct)
        {
            Func<Task>? change = null;
            lock (_gate)
            {
                if (_armed is { } armed && armed.Topic == topic && armed.Key == key)
                {
                    change = armed.Change;
                    _armed = null;
                }
            }

            if (change is not null)
            {
                await change();
            }

            return await topics.FingerprintAsync(topic, key, ct);
        }
    }
}
