using System.Globalization;
using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Experiments;
using Kiln.Core.FeatureStore;
using Kiln.Core.Lineage;
using Kiln.Core.Monitoring;
using Kiln.Core.Pipelines;
using Kiln.Core.Processing;
using Kiln.Core.Registry;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Kiln.Core.Tuning;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Which record an ARN's tags live on. SageMaker lower-cases names in ARNs, so a name that is not found as
/// given is looked up case-insensitively among the resources of its kind.
/// </summary>
internal static class TagTargets
{
    public static SageMakerException NotFound(string arn) => new("ValidationException", $"Resource {arn} not found: no such resource exists in this account and region.");

    public static async Task<TagTarget> FindAsync(string arn, SageMakerCall call)
    {
        var parts = arn.Split(':', 6);
        var slash = parts.Length == 6 ? parts[5].IndexOf('/', StringComparison.Ordinal) : -1;
        if (slash <= 0 || slash == parts[5].Length - 1)
        {
            throw new SageMakerException("ValidationException", $"'{arn}' is not the ARN of a SageMaker resource (arn:aws:sagemaker:<region>:<account>:<resource-type>/<name>).");
        }

        var type = parts[5][..slash];
        var name = parts[5][(slash + 1)..];
        var ct = call.Aborted;
        return type switch
        {
            "training-job" => await JobAsync(arn, name, call.Service<ITrainingJobStore>(), ct),
            "processing-job" => await DocumentAsync(arn, name, call.Service<IProcessingJobStore>(), (s, n) => s.FindAsync(n, ct), (s, q) => s.ListAsync(q, ct), j => j.Name,
                (s, n, change) => s.UpdateAsync(n, change, ct), j => j.Spec.Tags, (j, tags) => j with { Spec = j.Spec with { Tags = tags } }),
            "transform-job" => await DocumentAsync(arn, name, call.Service<ITransformJobStore>(), (s, n) => s.FindAsync(n, ct), (s, q) => s.ListAsync(q, ct), j => j.Spec.Name,
                (s, n, change) => s.UpdateAsync(n, change, ct), j => j.Spec.Tags, (j, tags) => j with { Spec = j.Spec with { Tags = tags } }),
            "hyper-parameter-tuning-job" => await DocumentAsync(arn, name, call.Service<ITuningJobStore>(), (s, n) => s.FindAsync(n, ct), (s, q) => s.ListAsync(q, ct), j => j.Spec.Name,
                (s, n, change) => s.UpdateAsync(n, change, ct), j => j.Spec.Tags, (j, tags) => j with { Spec = j.Spec with { Tags = tags } }),
            "automl-job" => await DocumentAsync(arn, name, call.Service<IAutoMLJobStore>(), (s, n) => s.FindAsync(n, ct), (s, q) => s.ListAsync(q, ct), j => j.Spec.Name,
                (s, n, change) => s.UpdateAsync(n, change, ct), j => j.Spec.Tags, (j, tags) => j with { Spec = j.Spec with { Tags = tags } }),
            "model" => await DocumentAsync(arn, name, call.Service<IServingStore>(), (s, n) => s.FindModelAsync(n, ct), (s, q) => s.ListModelsAsync(q, ct), m => m.Name,
                (s, n, change) => s.UpdateModelAsync(n, change, ct), m => m.Tags, (m, tags) => m with { Tags = tags }),
            "endpoint-config" => await DocumentAsync(arn, name, call.Service<IServingStore>(), (s, n) => s.FindConfigAsync(n, ct), (s, q) => s.ListConfigsAsync(q, ct), c => c.Name,
                (s, n, change) => s.UpdateConfigAsync(n, change, ct), c => c.Tags, (c, tags) => c with { Tags = tags }),
            "endpoint" => await DocumentAsync(arn, name, call.Service<IServingStore>(), (s, n) => s.FindEndpointAsync(n, ct), (s, q) => s.ListEndpointsAsync(q, ct), e => e.Name,
                (s, n, change) => s.UpdateEndpointAsync(n, change, ct), e => e.Tags, (e, tags) => e with { Tags = tags }),
            "pipeline" => await DocumentAsync(arn, name, call.Service<IPipelineStore>(), (s, n) => s.FindAsync(n, ct), (s, q) => s.ListAsync(q, ct), p => p.Name,
                (s, n, change) => s.UpdateAsync(n, change, ct), p => p.Tags, (p, tags) => p with { Tags = tags }),
            "monitoring-schedule" => await DocumentAsync(arn, name, call.Service<IMonitoringStore>(), (s, n) => s.FindScheduleAsync(n, ct), async (s, q) => new Page<MonitoringSchedule>(await s.AllSchedulesAsync(ct), null), m => m.Name,
                (s, n, change) => s.UpdateScheduleAsync(n, change, ct), m => m.Tags, (m, tags) => m with { Tags = tags }),
            "feature-group" => await DocumentAsync(arn, name, call.Service<IFeatureGroupStore>(), (s, n) => s.FindAsync(FeatureGroup.KeyOf(n), ct), (s, q) => s.ListAsync(q, ct), g => g.Name,
                (s, n, change) => s.UpdateAsync(FeatureGroup.KeyOf(n), change, ct), g => [.. g.Tags.Select(tag => new Tag(tag.Key, tag.Value))],
                (g, tags) => g with { Tags = [.. tags.Select(tag => new KeyValuePair<string, string>(tag.Key, tag.Value))] }),
            "artifact" => await LineageAsync(arn, LineageKind.Artifact, call),
            "action" => await LineageAsync(arn, LineageKind.Action, call),
            "context" => await LineageAsync(arn, LineageKind.Context, call),
            "experiment" => await ExperimentAsync(arn, name, call),
            "experiment-trial" => await TrialAsync(arn, name, call),
            "experiment-trial-component" => await ComponentAsync(arn, name, call),
            "model-package-group" => await GroupAsync(arn, name, call),
            "model-package" => await PackageAsync(arn, name, call),
            _ => throw NotFound(arn),
        };
    }

    private static async Task<TagTarget> DocumentAsync<TStore, T>(
        string arn,
        string name,
        TStore store,
        Func<TStore, string, Task<T?>> find,
        Func<TStore, ListQuery, Task<Page<T>>> list,
        Func<T, string> nameOf,
        Func<TStore, string, Func<T, T?>, Task<T?>> update,
        Func<T, IReadOnlyList<Tag>> tags,
        Func<T, IReadOnlyList<Tag>, T> withTags)
        where T : class
    {
        var exact = await find(store, name) is { } found
            ? nameOf(found)
            : (await list(store, new ListQuery(NameContains: name, MaxResults: 100))).Items.Select(nameOf).FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                ?? throw NotFound(arn);
        return new DocumentTagTarget<T>(arn, _ => find(store, exact), (change, _) => update(store, exact, change), tags, withTags);
    }

    private static async Task<TagTarget> JobAsync(string arn, string name, ITrainingJobStore store, CancellationToken ct)
    {
        var exact = await store.FindAsync(name, ct) is { } found
            ? found.Name
            : (await store.ListAsync(new ListQuery(NameContains: name, MaxResults: 100), ct)).Items.Select(job => job.Name).FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                ?? throw NotFound(arn);
        return new DocumentTagTarget<TrainingJob>(arn, c => store.FindAsync(exact, c), (change, c) => store.UpdateAsync(exact, change, c),
            job => job.Spec.Tags, (job, tags) => job with { Spec = job.Spec with { Tags = tags } });
    }

    private static async Task<TagTarget> LineageAsync(string arn, LineageKind kind, SageMakerCall call)
    {
        var store = call.Service<ILineageStore>();
        var stored = await store.FindAsync(arn, call.Aborted) is { } entity && entity.Kind == kind
            ? entity.Arn
            : (await store.ListAsync(kind, call.Aborted)).Select(entity => entity.Arn).FirstOrDefault(a => string.Equals(a, arn, StringComparison.OrdinalIgnoreCase))
                ?? throw NotFound(arn);
        return new DocumentTagTarget<LineageEntity>(arn, c => store.FindAsync(stored, c), (change, c) => store.UpdateAsync(stored, change, c),
            entity => entity.Tags, (entity, tags) => entity with { Tags = tags });
    }

    private static async Task<TagTarget> ExperimentAsync(string arn, string name, SageMakerCall call)
    {
        var experiments = await call.Service<ExperimentService>().ListExperimentsAsync(call.Aborted);
        var experiment = experiments.FirstOrDefault(e => e.Name == name) ?? experiments.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw NotFound(arn);
        return new ExperimentTagTarget(arn, experiment.Experiment.ExperimentId, call.Service<TrackingService>());
    }

    private static async Task<TagTarget> TrialAsync(string arn, string name, SageMakerCall call)
    {
        var trials = await call.Service<ExperimentService>().ListTrialsAsync(null, null, call.Aborted);
        var trial = trials.FirstOrDefault(t => t.Name == name) ?? trials.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw NotFound(arn);
        return new RunTagTarget(arn, trial.Run.Info.RunId, call.Service<TrackingService>());
    }

    private static async Task<TagTarget> ComponentAsync(string arn, string name, SageMakerCall call)
    {
        var experiments = call.Service<ExperimentService>();
        TrialComponent component;
        try
        {
            component = await experiments.DescribeTrialComponentAsync(name, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            component = (await experiments.ListTrialComponentsAsync(null, null, null, call.Aborted)).FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw NotFound(arn);
        }

        return new RunTagTarget(arn, component.Run.Info.RunId, call.Service<TrackingService>());
    }

    private static async Task<TagTarget> GroupAsync(string arn, string name, SageMakerCall call)
    {
        var registry = call.Service<RegistryService>();
        try
        {
            await registry.GetRegisteredModelAsync(name, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw NotFound(arn);
        }

        return new GroupTagTarget(arn, name, registry);
    }

    private static async Task<TagTarget> PackageAsync(string arn, string path, SageMakerCall call)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0 || !long.TryParse(path[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw NotFound(arn);
        }

        var registry = call.Service<RegistryService>();
        var version = number.ToString(CultureInfo.InvariantCulture);
        try
        {
            await registry.GetModelVersionAsync(path[..slash], version, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw NotFound(arn);
        }

        return new PackageTagTarget(arn, path[..slash], version, registry);
    }
}
