using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Kiln.Studio.Live;

/// <summary>
/// The live stream: <c>GET /studio/events/{topic}?key=</c> answers server-sent events, one <c>changed</c> event each
/// time the topic's fingerprint changes (checked every <see cref="Interval"/>). The page's script then refetches the
/// region (studio.js). <c>since</c> is the fingerprint the page was rendered at: when the state has already moved on by
/// the time the stream connects, the first <c>changed</c> follows <c>ready</c> at once.
/// </summary>
public static class StudioEvents
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/studio/events/{topic}", (string topic, string? key, string? since, LiveTopics topics, TimeProvider clock, CancellationToken ct) =>
            LiveTopics.Exists(topic)
                ? Results.ServerSentEvents(ChangesAsync(topic, key, since, topics, clock, ct))
                : Results.NotFound());

    private static async IAsyncEnumerable<SseItem<string>> ChangesAsync(
        string topic, string? key, string? since, LiveTopics topics, TimeProvider clock, [EnumeratorCancellation] CancellationToken ct)
    {
        var last = await topics.FingerprintAsync(topic, key, ct);
        yield return new SseItem<string>("", "ready");
        if (since is not null && since != last)
        {
            yield return new SseItem<string>("", "changed");
        }

        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            var current = await topics.FingerprintAsync(topic, key, ct);
            if (current != last)
            {
                last = current;
                yield return new SseItem<string>("", "changed");
            }
        }
    }
}
