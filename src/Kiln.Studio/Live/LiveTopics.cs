using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Kiln.Studio.Data;

namespace Kiln.Studio.Live;

/// <summary>
/// What a page can follow live. A topic's fingerprint is a string that changes whenever the page's live region would
/// render differently; the event stream polls it and tells the browser, which refetches the page and swaps the region.
/// To make a region live: add a topic here and wrap the region in <c>&lt;LiveRegion Id=... Topic=... Key=...&gt;</c>.
/// </summary>
public sealed class LiveTopics(RunningNowQuery runningNow, TrackingService tracking, Core.AutoML.AutoMLJobService automl)
{
    public const string Home = "home";
    public const string Run = "run";
    public const string AutoMLJob = "automl-job";

    public static bool Exists(string topic) => topic is Home or Run or AutoMLJob;

    /// <summary>The topic's current fingerprint; null when the record it follows does not exist.</summary>
    public async Task<string?> FingerprintAsync(string topic, string? key, CancellationToken ct)
    {
        switch (topic)
        {
            case Home:
                return (await runningNow.LoadAsync(ct)).Fingerprint();
            case Run when key is not null:
                try
                {
                    var run = await tracking.GetRunAsync(key, ct);
                    return $"{run.Info.Status}:{run.Info.EndTime}:{string.Join(',', run.Data.Metrics.Select(m => $"{m.Key}={m.Step}/{m.Timestamp}"))}";
                }
                catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
                {
                    return null;
                }

            case AutoMLJob when key is not null:
                try
                {
                    var job = await automl.DescribeAsync(key, ct);
                    return $"{job.Status}:{job.SecondaryStatus}:{job.BestCandidateName}:{job.ModelInsightsUri}:{string.Join(',', job.Candidates.Select(c => $"{c.Name}={c.Status}/{c.Objective}"))}";
                }
                catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
                {
                    return null;
                }

            default:
                return null;
        }
    }
}
