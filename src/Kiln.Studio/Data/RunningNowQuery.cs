using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Processing;
using Kiln.Core.Registry;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Transform;

namespace Kiln.Studio.Data;

/// <summary>One thing in flight (or recently done) on the home page: what it is, its name, its status, where to look.</summary>
public sealed record ActivityItem(string Kind, string Name, string Status, DateTimeOffset Since, string? Link = null);

public sealed record RunningNow(
    IReadOnlyList<ActivityItem> Jobs,
    IReadOnlyList<ActivityItem> Endpoints,
    IReadOnlyList<ActivityItem> PipelineExecutions,
    IReadOnlyList<Run> RecentRuns,
    IReadOnlyList<RegisteredModel> RecentModels,
    IReadOnlyDictionary<string, string> ExperimentNames)
{
    /// <summary>Changes whenever anything on the home page would render differently (the live stream compares it).</summary>
    public string Fingerprint() => string.Join('|',
        Jobs.Concat(Endpoints).Concat(PipelineExecutions).Select(item => $"{item.Kind}:{item.Name}:{item.Status}")
            .Concat(RecentRuns.Select(run => $"{run.Info.RunId}:{run.Info.Status}:{run.Data.Metrics.Count}"))
            .Concat(RecentModels.Select(model => $"{model.Name}:{model.LastUpdatedTimestamp}")));
}

/// <summary>The home page's question, "what is running now?", asked of every area's service in process.</summary>
public sealed class RunningNowQuery(
    TrainingJobService training,
    ProcessingJobService processing,
    TransformJobService transform,
    ServingService serving,
    IPipelineStore pipelines,
    IPipelineExecutionStore executions,
    TrackingService tracking,
    RegistryService registry)
{
    private const int Recent = 10;

    /// <param name="readable">Narrows the experiments whose runs are shown to those the viewer may read (all when null).</param>
    public async Task<RunningNow> LoadAsync(Func<IReadOnlyList<Experiment>, Task<IReadOnlyList<Experiment>>>? readable = null, CancellationToken ct = default)
    {
        var inProgress = new ListQuery(Status: "InProgress", MaxResults: 100);
        var jobs = new List<ActivityItem>();
        jobs.AddRange((await training.ListAsync(inProgress, ct)).Items.Select(job =>
            new ActivityItem("Training job", job.Spec.Name, $"{job.Status} ({job.SecondaryStatus})", job.CreationTime, JobKinds.Link(JobKinds.Training, job.Spec.Name))));
        jobs.AddRange((await processing.ListAsync(inProgress, ct)).Items.Select(job =>
            new ActivityItem("Processing job", job.Spec.Name, job.Status.ToString(), job.CreationTime, JobKinds.Link(JobKinds.Processing, job.Spec.Name))));
        jobs.AddRange((await transform.ListAsync(inProgress, ct)).Items.Select(job =>
            new ActivityItem("Transform job", job.Spec.Name, job.Status.ToString(), job.CreationTime, JobKinds.Link(JobKinds.Transform, job.Spec.Name))));

        var endpoints = (await serving.ListEndpointsAsync(new ListQuery(MaxResults: 100), ct)).Items
            .Select(endpoint => new ActivityItem(
                "Endpoint",
                endpoint.Name,
                endpoint.Status.ToString(),
                endpoint.LastModifiedTime,
                "/endpoints/" + Uri.EscapeDataString(endpoint.Name)))
            .ToList();

        var running = new List<ActivityItem>();
        foreach (var pipeline in (await pipelines.ListAsync(new ListQuery(MaxResults: 100), ct)).Items)
        {
            running.AddRange((await executions.ListAsync(pipeline.Name, ct)).Where(execution => !execution.IsFinished).Select(execution =>
                new ActivityItem(
                    "Pipeline execution",
                    $"{pipeline.Name} / {execution.DisplayName ?? execution.Id}",
                    execution.Status.ToString(),
                    execution.CreationTime,
                    $"/pipelines/{Uri.EscapeDataString(pipeline.Name)}/executions/{Uri.EscapeDataString(execution.Id)}")));
        }

        IReadOnlyList<Experiment> experiments = (await tracking.SearchExperimentsAsync(ViewType.ActiveOnly, null, null, 1000, null, ct)).Items;
        if (readable is not null)
        {
            experiments = await readable(experiments);
        }
        var recentRuns = experiments.Count == 0
            ? []
            : (await tracking.SearchRunsAsync(experiments.Select(e => e.ExperimentId).ToList(), null, ViewType.ActiveOnly, Recent, ["attributes.start_time DESC"], null, ct)).Items;
        var models = (await registry.SearchRegisteredModelsAsync(null, Recent, ["last_updated_timestamp DESC"], null, ct)).Items;
        return new RunningNow(
            jobs.OrderByDescending(job => job.Since).ToList(),
            endpoints,
            running,
            recentRuns,
            models,
            experiments.ToDictionary(e => e.ExperimentId, e => e.Name));
    }
}
