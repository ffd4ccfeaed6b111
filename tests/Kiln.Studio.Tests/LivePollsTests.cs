using System.Collections.Concurrent;
using Kiln.Studio.Live;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Studio.Tests;

/// <summary>Open event streams on the same topic share one fingerprint poll, on a fake clock with a source that counts its reads.</summary>
public sealed class LivePollsTests
{
    private const string Job = "training/shared";

    [Fact]
    public async Task Five_streams_on_one_job_cost_one_read_per_interval_and_all_hear_the_change()
    {
        var source = new CountingFingerprints();
        var clock = new FakeTimeProvider();
        var polls = new LivePolls(source, clock, NullLogger<LivePolls>.Instance);
        using var stop = new CancellationTokenSource();
        var streams = Enumerable.Range(0, 5).Select(_ => new Stream(StudioEvents.ChangesAsync(LiveTopics.Job, Job, "v0", polls, stop.Token))).ToList();
        var other = new Stream(StudioEvents.ChangesAsync(LiveTopics.Job, "training/other", null, polls, stop.Token));

        // Each stream reads once when it connects (to compare with the page's `since`), then follows the shared poll.
        await Until(() => streams.All(s => s.Events.Contains("ready")) && other.Events.Contains("ready"));
        Assert.Equal(5, source.Reads(Job));
        Assert.Equal(2, polls.Running);

        for (var tick = 1; tick <= 3; tick++)
        {
            var before = source.Reads(Job);
            await TickAsync(clock, () => source.Reads(Job) > before);
            await Task.Delay(100);
            Assert.Equal(before + 1, source.Reads(Job));
        }

        Assert.All(streams, s => Assert.Equal(["ready"], s.Events));

        source.Version = 1;
        await TickAsync(clock, () => streams.All(s => s.Events.Count == 2));
        Assert.All(streams, s => Assert.Equal(["ready", "changed"], s.Events));
        Assert.Equal(["ready"], other.Events);

        await stop.CancelAsync();
        await Task.WhenAll(streams.Select(s => s.Done).Append(other.Done));
        Assert.Equal(0, polls.Running);
    }

    [Fact]
    public async Task A_stream_whose_page_is_behind_hears_changed_right_after_ready_even_when_it_joins_a_running_poll()
    {
        var source = new CountingFingerprints { Version = 4 };
        var polls = new LivePolls(source, new FakeTimeProvider(), NullLogger<LivePolls>.Instance);
        using var stop = new CancellationTokenSource();
        var current = new Stream(StudioEvents.ChangesAsync(LiveTopics.Job, Job, "v4", polls, stop.Token));
        await Until(() => current.Events.Count == 1);

        var behind = new Stream(StudioEvents.ChangesAsync(LiveTopics.Job, Job, "v3", polls, stop.Token));
        await Until(() => behind.Events.Count == 2);

        Assert.Equal(["ready", "changed"], behind.Events);
        Assert.Equal(["ready"], current.Events);
        Assert.Equal(1, polls.Running);
        await stop.CancelAsync();
        await Task.WhenAll(current.Done, behind.Done);
    }

    /// <summary>Moves the fake clock on by one interval at a time until the condition holds (the poll's timer may not be set yet).</summary>
    private static async Task TickAsync(FakeTimeProvider clock, Func<bool> condition)
    {
        for (var attempt = 0; attempt < 50 && !condition(); attempt++)
        {
            clock.Advance(StudioEvents.Interval);
            for (var wait = 0; wait < 20 && !condition(); wait++)
            {
                await Task.Delay(10);
            }
        }

        Assert.True(condition(), "the poll did not read after the clock moved on");
    }

    private static async Task Until(Func<bool> condition)
    {
        for (var wait = 0; wait < 500 && !condition(); wait++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "timed out");
    }

    private sealed class CountingFingerprints : ILiveFingerprints
    {
        private readonly ConcurrentDictionary<string, int> _reads = new();

        public int Version { get; set; }

        public int Reads(string key) => _reads.GetValueOrDefault(key);

        public Task<string?> FingerprintAsync(string topic, string? key, CancellationToken ct)
        {
            _reads.AddOrUpdate(key ?? "", 1, (_, count) => count + 1);
            // Only the shared job moves on; the other one stays as it was.
            return Task.FromResult<string?>(key == Job ? $"v{Version}" : "other");
        }
    }

    /// <summary>Reads a stream's event types in the background.</summary>
    private sealed class Stream
    {
        private readonly ConcurrentQueue<string> _events = new();

        public Stream(IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<string>> items) => Done = Task.Run(async () =>
        {
            await foreach (var item in items)
            {
                _events.Enqueue(item.EventType);
            }
        });

        public List<string> Events => [.. _events];

        public Task Done { get; }
    }
}
