using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Kiln.Studio.Data;
using Kiln.Studio.Data.Endpoints;
using Kiln.Studio.Data.Monitoring;
using Kiln.Studio.Data.Pipelines;

namespace Kiln.Studio.Live;

/// <summary>
/// What a page can follow live. A topic's fingerprint is a string that changes whenever the page's live region would
/// render differently; the event stream polls it and tells the browser, which refetches the page and swaps the region.
/// To make a region live: add a topic here, read its <see cref="LiveMark"/> before the page loads its data, and wrap
/// the region in <c>&lt;LiveRegion Id=... Mark=...&gt;</c>.
/// </summary>
public sealed class LiveTopics(
    RunningNowQuery runningNow,
    TrackingService tracking,
    EndpointQuery endpoints,
    Kiln.Pipelines.PipelineService pipelines,
    MonitoringQuery monitoring,
    JobsQuery jobs,
    TuningQuery tuning,
    Core.AutoML.AutoMLJobService automl) : ILiveFingerprints
{
    public const string Home = "home";
    public const string Run = "run";
    public const string Endpoint = "endpoint";
    public const string PipelineExecution = "pipeline-execution";
    public const string MonitoringSchedule = "monitoring-schedule";
    public const string Job = "job";

    /// <summary>The jobs list; its key is the list's filter, <see cref="JobsKey"/>.</summary>
    public const string Jobs = "jobs";
    public const string Tuning = "tuning";
    public const string AutoMLJob = "automl-job";

    public static bool Exists(string topic) =>
        topic is Home or Run or Endpoint or PipelineExecution or MonitoringSchedule or Job or Jobs or Tuning or AutoMLJob;

    /// <summary>The jobs list's key: its type and status filters (empty for all).</summary>
    public static string JobsKey(string? type, string? status) => $"{type}/{status}";

    /// <summary>
    /// The topic's current fingerprint; null when the record it follows does not exist. It is a digest: pages carry
    /// it (<c>data-live-since</c>) and a topic such as the home page's reads records a viewer may not be allowed to see
    /// (Studio's permissions filter what a page shows, not what the shared poll reads), so it must not spell them out.
    /// </summary>
    public async Task<string?> FingerprintAsync(string topic, string? key, CancellationToken ct) =>
        await ReadingAsync(topic, key, ct) is { } reading
            ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(reading)))
            : null;

    private async Task<string?> ReadingAsync(string topic, string? key, CancellationToken ct)
    {
        switch (topic)
        {
            case Home:
                return (await runningNow.LoadAsync(null, ct)).Fingerprint();
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

            case Endpoint when key is not null:
                return (await endpoints.LoadAsync(key, ct))?.Fingerprint();

            case PipelineExecution when key is not null:
                try
                {
                    return PipelineQuery.Fingerprint(await pipelines.DescribeExecutionAsync(key, ct));
                }
                catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
                {
                    return null;
                }

            case MonitoringSchedule when key is not null:
                return (await monitoring.LoadAsync(key, ct))?.Fingerprint();

            case Job when key?.Split('/', 2) is [var kind, var name]:
                // The log's length is part of it: the log tail follows the job while it writes.
                return await jobs.FindAsync(kind, name, ct) is { } job ? job.Fingerprint(jobs.LogLength(kind, name)) : null;
            case Jobs when key?.Split('/', 2) is [var type, var status]:
                // The list itself, filtered as the page is: the home topic misses a job going from Stopping to Stopped.
                return string.Join(',', (await jobs.ListAsync(NullIfEmpty(type), NullIfEmpty(status), ct)).Select(job => $"{job.Kind}:{job.Name}:{job.Status}:{job.EndTime}"));
            case Tuning when key is not null:
                return (await tuning.FindAsync(key, ct))?.Fingerprint();

            case AutoMLJob when key is not null:
                try
                {
                    var automlJob = await automl.DescribeAsync(key, ct);
                    return $"{automlJob.Status}:{automlJob.SecondaryStatus}:{automlJob.BestCandidateName}:{automlJob.ModelInsightsUri}:{string.Join(',', automlJob.Candidates.Select(c => $"{c.Name}={c.Status}/{c.Objective}"))}";
                }
                catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
                {
                    return null;
                }

            default:
                return null;
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
