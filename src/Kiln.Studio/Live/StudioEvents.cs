using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Studio.Live;

/// <summary>
/// The live stream: <c>GET /studio/events/{topic}?key=</c> answers server-sent events, one <c>changed</c> event each
/// time the topic's fingerprint changes (checked every <see cref="Interval"/> by one poll that all streams on the same
/// topic and key share, <see cref="LivePolls"/>). The page's script then refetches the region (studio.js). <c>since</c>
/// is the fingerprint the page was rendered at: when the state has already moved on by the time the stream connects,
/// the first <c>changed</c> follows <c>ready</c> at once.
/// </summary>
public static class StudioEvents
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/studio/events/{topic}", async (string topic, string? key, string? since, LivePolls polls, TrackingService tracking, StudioPermissions permissions, HttpContext http, CancellationToken ct) =>
            LiveTopics.Exists(topic) && await MayFollowAsync(topic, key, tracking, permissions, http, ct)
                ? Results.ServerSentEvents(ChangesAsync(topic, key, since, polls, ct))
                : Results.NotFound());

    /// <summary>A run's changes are followed only by who may read it (a run they may not read is as missing).</summary>
    private static async Task<bool> MayFollowAsync(string topic, string? key, TrackingService tracking, StudioPermissions permissions, HttpContext http, CancellationToken ct)
    {
        if (topic != LiveTopics.Run || key is null)
        {
            return true;
        }

        try
        {
            return await permissions.MayReadRunAsync(http, await tracking.GetRunAsync(key, ct), ct);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return true;
        }
    }

    /// <summary>The events of one stream: <c>ready</c>, then <c>changed</c> whenever a reading differs from the last one announced.</summary>
    public static async IAsyncEnumerable<SseItem<string>> ChangesAsync(
        string topic, string? key, string? since, LivePolls polls, [EnumeratorCancellation] CancellationToken ct)
    {
        // The poll reads the whole state at each tick, so a change between this read and following is still seen.
        var last = await polls.ReadAsync(topic, key, ct);
        using var follower = polls.Follow(topic, key);
        yield return new SseItem<string>("", "ready");
        if (since is not null && since != last)
        {
            yield return new SseItem<string>("", "changed");
        }

        while (!ct.IsCancellationRequested)
        {
            string? current;
            try
            {
                current = await follower.NextAsync(ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (current != last)
            {
                last = current;
                yield return new SseItem<string>("", "changed");
            }
        }
    }
}
