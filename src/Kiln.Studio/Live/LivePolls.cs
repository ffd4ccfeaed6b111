using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kiln.Studio.Live;

/// <summary>Where a live topic's fingerprint comes from (<see cref="LiveTopics"/>; a test can count the reads).</summary>
public interface ILiveFingerprints
{
    /// <summary>The topic's current fingerprint; null when the record it follows does not exist.</summary>
    Task<string?> FingerprintAsync(string topic, string? key, CancellationToken ct);
}

/// <summary>
/// One fingerprint poll per followed (topic, key), shared by every open event stream on it: ten browsers on the same
/// job page cost one read of the job per <see cref="StudioEvents.Interval"/>, not ten. A poll starts with its first
/// follower and stops when the last one leaves; each reading goes to every follower, which compares it with the
/// fingerprint it last announced.
/// </summary>
public sealed partial class LivePolls(ILiveFingerprints source, TimeProvider clock, ILogger<LivePolls> logger)
{
    private readonly Dictionary<(string Topic, string? Key), Poll> _polls = [];
    private readonly Lock _gate = new();

    /// <summary>How many polls run now (one per followed topic and key).</summary>
    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _polls.Count;
            }
        }
    }

    /// <summary>Reads the topic's fingerprint now (what a stream compares its page against when it connects).</summary>
    public Task<string?> ReadAsync(string topic, string? key, CancellationToken ct) => source.FingerprintAsync(topic, key, ct);

    /// <summary>Follows a topic: every reading of its shared poll, until the follower is disposed.</summary>
    public Follower Follow(string topic, string? key)
    {
        var follower = new Follower(this, (topic, key));
        lock (_gate)
        {
            if (!_polls.TryGetValue(follower.Id, out var poll))
            {
                poll = new Poll();
                _polls[follower.Id] = poll;
                poll.Loop = Task.Run(() => RunAsync(follower.Id, poll));
            }

            poll.Followers.Add(follower);
        }

        return follower;
    }

    private void Leave(Follower follower)
    {
        lock (_gate)
        {
            if (_polls.TryGetValue(follower.Id, out var poll) && poll.Followers.Remove(follower) && poll.Followers.Count == 0)
            {
                _polls.Remove(follower.Id);
                poll.Stop.Cancel();
            }
        }
    }

    private async Task RunAsync((string Topic, string? Key) id, Poll poll)
    {
        var ct = poll.Stop.Token;
        try
        {
            while (true)
            {
                await Task.Delay(StudioEvents.Interval, clock, ct);
                string? reading;
                try
                {
                    reading = await source.FingerprintAsync(id.Topic, id.Key, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failed read (a busy database) is tried again at the next tick; the streams stay open.
                    LogPollFailed(e, id.Topic, id.Key);
                    continue;
                }

                Follower[] followers;
                lock (_gate)
                {
                    followers = [.. poll.Followers];
                }

                foreach (var follower in followers)
                {
                    follower.Publish(reading);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            poll.Stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Studio could not read the fingerprint of live topic {Topic} ({Key})")]
    private partial void LogPollFailed(Exception exception, string topic, string? key);

    private sealed class Poll
    {
        public HashSet<Follower> Followers { get; } = [];

        public CancellationTokenSource Stop { get; } = new();

        public Task? Loop { get; set; }
    }

    /// <summary>One open stream's view of a shared poll: the latest reading it has not taken yet.</summary>
    public sealed class Follower : IDisposable
    {
        private readonly LivePolls _polls;

        // Only the newest reading matters: a slow reader skips the ones it missed.
        private readonly Channel<string?> _readings = Channel.CreateBounded<string?>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

        internal Follower(LivePolls polls, (string Topic, string? Key) id)
        {
            _polls = polls;
            Id = id;
        }

        internal (string Topic, string? Key) Id { get; }

        /// <summary>Waits for the poll's next reading.</summary>
        public ValueTask<string?> NextAsync(CancellationToken ct) => _readings.Reader.ReadAsync(ct);

        public void Dispose() => _polls.Leave(this);

        internal void Publish(string? reading) => _readings.Writer.TryWrite(reading);
    }
}
