using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Core.Experiments;

/// <summary>Tags that give MLflow runs their SageMaker identity (trial or trial component, name, trials, artifacts).</summary>
public static class ExperimentTags
{
    public const string Kind = "sagemaker.kind";
    public const string Name = "sagemaker.name";
    public const string DisplayName = "sagemaker.display_name";
    public const string Description = "mlflow.note.content";
    public const string SourceArn = "sagemaker.source_arn";
    public const string Trial = "sagemaker.trial";
    public const string TrialPrefix = "sagemaker.trial/";
    public const string InputPrefix = "sagemaker.input/";
    public const string OutputPrefix = "sagemaker.output/";
    public const string StatusMessage = "sagemaker.status_message";
    public const string RemovedParameterPrefix = "sagemaker.removed_parameter/";

    public const string TrialKind = "trial";
    public const string TrialComponentKind = "trial-component";

    public static readonly IReadOnlySet<string> Internal = new HashSet<string>(StringComparer.Ordinal)
    {
        Kind, Name, DisplayName, Description, SourceArn, Trial, StatusMessage, SystemTags.ParentRunId, SystemTags.RunName, SystemTags.User,
    };
}

public sealed record SageMakerExperiment(Experiment Experiment)
{
    public string Name => Experiment.Name;

    public string? DisplayName => Tag(ExperimentTags.DisplayName) ?? Name;

    public string? Description => Tag(ExperimentTags.Description);

    public IReadOnlyList<Tag> UserTags => Experiment.Tags.Where(tag => !ExperimentTags.Internal.Contains(tag.Key)).ToList();

    public DateTimeOffset CreationTime => DateTimeOffset.FromUnixTimeMilliseconds(Experiment.CreationTime);

    public DateTimeOffset LastModifiedTime => DateTimeOffset.FromUnixTimeMilliseconds(Experiment.LastUpdateTime);

    private string? Tag(string key) => Experiment.Tags.FirstOrDefault(tag => tag.Key == key)?.Value;
}

public sealed record Trial(Run Run, string ExperimentName)
{
    public string Name => Run.Data.Tags.FirstOrDefault(tag => tag.Key == ExperimentTags.Name)?.Value ?? Run.Info.RunName;

    public string DisplayName => Run.Data.Tags.FirstOrDefault(tag => tag.Key == ExperimentTags.DisplayName)?.Value ?? Name;

    public DateTimeOffset CreationTime => DateTimeOffset.FromUnixTimeMilliseconds(Run.Info.StartTime ?? 0);

    public DateTimeOffset LastModifiedTime => DateTimeOffset.FromUnixTimeMilliseconds(Run.Info.EndTime ?? Run.Info.StartTime ?? 0);
}

/// <summary>A metric of a trial component, summarized over its history as SageMaker reports it.</summary>
public sealed record MetricSummary(string Name, double Max, double Min, double Last, int Count, double Avg, double StdDev, long Timestamp);

/// <summary>A trial component: one MLflow run (a training job's run, a run an MLflow client logged, or one made through SageMaker).</summary>
public sealed record TrialComponent(Run Run, string ExperimentName, IReadOnlyList<MetricSummary> Metrics)
{
    public string Name => Tag(ExperimentTags.Name) ?? Run.Info.RunId;

    public string DisplayName => Tag(ExperimentTags.DisplayName) ?? Run.Info.RunName;

    public string? SourceArn => Tag(ExperimentTags.SourceArn);

    public IReadOnlyList<string> Trials => Run.Data.Tags.Where(tag => tag.Key.StartsWith(ExperimentTags.TrialPrefix, StringComparison.Ordinal)).Select(tag => tag.Key[ExperimentTags.TrialPrefix.Length..]).ToList();

    public IReadOnlyDictionary<string, string> Inputs => Prefixed(ExperimentTags.InputPrefix);

    public IReadOnlyDictionary<string, string> Outputs => Prefixed(ExperimentTags.OutputPrefix);

    public string? StatusMessage => Tag(ExperimentTags.StatusMessage);

    /// <summary>SageMaker's status of the run: InProgress, Completed, Failed or Stopped.</summary>
    public string PrimaryStatus => Run.Info.Status switch
    {
        RunStatus.Finished => "Completed",
        RunStatus.Failed => "Failed",
        RunStatus.Killed => "Stopped",
        _ => "InProgress",
    };

    /// <summary>The run's params, less those UpdateTrialComponent removed (MLflow params cannot be deleted).</summary>
    public IReadOnlyDictionary<string, string> Parameters
    {
        get
        {
            var removed = Run.Data.Tags.Where(tag => tag.Key.StartsWith(ExperimentTags.RemovedParameterPrefix, StringComparison.Ordinal)).Select(tag => tag.Key[ExperimentTags.RemovedParameterPrefix.Length..]).ToHashSet(StringComparer.Ordinal);
            return Run.Data.Params.Where(param => !removed.Contains(param.Key)).ToDictionary(param => param.Key, param => param.Value, StringComparer.Ordinal);
        }
    }

    public DateTimeOffset? StartTime => Run.Info.StartTime is { } start ? DateTimeOffset.FromUnixTimeMilliseconds(start) : null;

    public DateTimeOffset? EndTime => Run.Info.EndTime is { } end ? DateTimeOffset.FromUnixTimeMilliseconds(end) : null;

    public DateTimeOffset CreationTime => DateTimeOffset.FromUnixTimeMilliseconds(Run.Info.StartTime ?? 0);

    public DateTimeOffset LastModifiedTime => DateTimeOffset.FromUnixTimeMilliseconds(Run.Info.EndTime ?? Run.Info.StartTime ?? 0);

    public IReadOnlyList<Tag> UserTags => Run.Data.Tags.Where(tag => !ExperimentTags.Internal.Contains(tag.Key) && !tag.Key.StartsWith("sagemaker.", StringComparison.Ordinal) && !tag.Key.StartsWith("mlflow.", StringComparison.Ordinal) && !tag.Key.StartsWith("kiln.", StringComparison.Ordinal)).ToList();

    private string? Tag(string key) => Run.Data.Tags.FirstOrDefault(tag => tag.Key == key)?.Value;

    private Dictionary<string, string> Prefixed(string prefix) =>
        Run.Data.Tags.Where(tag => tag.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(tag => tag.Key[prefix.Length..], tag => tag.Value, StringComparer.Ordinal);
}

/// <summary>What a new or updated trial component carries.</summary>
public sealed record TrialComponentChange(
    string? DisplayName,
    RunStatus? Status,
    string? StatusMessage,
    long? StartTime,
    long? EndTime,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<string> ParametersToRemove,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyList<string> InputsToRemove,
    IReadOnlyDictionary<string, string> Outputs,
    IReadOnlyList<string> OutputsToRemove,
    IReadOnlyList<Tag> Tags);

/// <summary>
/// SageMaker experiments over MLflow tracking, one record each: an experiment is an MLflow experiment, a trial
/// is a run marked as a trial, and a trial component is any other run — a training job's, one an MLflow client
/// logged, or one made through CreateTrialComponent. Associations are tags, and the first trial becomes the
/// run's parent, so the MLflow UI nests components under their trial.
/// </summary>
public sealed class ExperimentService(TrackingService tracking, TimeProvider clock) : IDisposable
{
    // Trial names are unique: a check-then-create that two jobs of one trial must not both pass.
    private readonly SemaphoreSlim _trialCreation = new(1, 1);

    /// <summary>Where trial components made outside any experiment are kept (MLflow's default experiment).</summary>
    public const string StandaloneExperimentId = TrackingService.DefaultExperimentId;

    public async Task<SageMakerExperiment> CreateExperimentAsync(string name, string? displayName, string? description, IReadOnlyList<Tag> tags, CancellationToken ct = default)
    {
        var all = new List<Tag>(tags);
        if (displayName is not null)
        {
            all.Add(new Tag(ExperimentTags.DisplayName, displayName));
        }

        if (description is not null)
        {
            all.Add(new Tag(ExperimentTags.Description, description));
        }

        try
        {
            var id = await tracking.CreateExperimentAsync(name, null, all, ct).ConfigureAwait(false);
            return new SageMakerExperiment(await tracking.GetExperimentAsync(id, ct).ConfigureAwait(false));
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceAlreadyExists)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"An experiment named {name} already exists.");
        }
    }

    public async Task<SageMakerExperiment> DescribeExperimentAsync(string name, CancellationToken ct = default)
    {
        try
        {
            var experiment = await tracking.GetExperimentByNameAsync(name, ct).ConfigureAwait(false);
            return experiment.LifecycleStage == LifecycleStage.Active ? new SageMakerExperiment(experiment) : throw KilnException.NotFound($"Experiment {name} does not exist.");
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw KilnException.NotFound($"Experiment {name} does not exist.");
        }
    }

    public async Task<IReadOnlyList<SageMakerExperiment>> ListExperimentsAsync(CancellationToken ct = default) =>
        (await AllExperimentsAsync(ct).ConfigureAwait(false)).Select(experiment => new SageMakerExperiment(experiment)).ToList();

    public async Task<SageMakerExperiment> UpdateExperimentAsync(string name, string? displayName, string? description, CancellationToken ct = default)
    {
        var experiment = await DescribeExperimentAsync(name, ct).ConfigureAwait(false);
        if (displayName is not null)
        {
            await tracking.SetExperimentTagAsync(experiment.Experiment.ExperimentId, new Tag(ExperimentTags.DisplayName, displayName), ct).ConfigureAwait(false);
        }

        if (description is not null)
        {
            await tracking.SetExperimentTagAsync(experiment.Experiment.ExperimentId, new Tag(ExperimentTags.Description, description), ct).ConfigureAwait(false);
        }

        return await DescribeExperimentAsync(name, ct).ConfigureAwait(false);
    }

    /// <summary>As SageMaker: an experiment that still has trials can't be deleted.</summary>
    public async Task<SageMakerExperiment> DeleteExperimentAsync(string name, CancellationToken ct = default)
    {
        var experiment = await DescribeExperimentAsync(name, ct).ConfigureAwait(false);
        if ((await TrialsAsync(experiment.Experiment, ct).ConfigureAwait(false)).Count > 0)
        {
            throw KilnException.InvalidParameter($"Experiment {name} still has trials; delete them first.");
        }

        await tracking.DeleteExperimentAsync(experiment.Experiment.ExperimentId, ct).ConfigureAwait(false);
        return experiment;
    }

    public void Dispose() => _trialCreation.Dispose();

    public async Task<Trial> CreateTrialAsync(string name, string experimentName, string? displayName, IReadOnlyList<Tag> tags, string user, CancellationToken ct = default)
    {
        await _trialCreation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await CreateTrialOnceAsync(name, experimentName, displayName, tags, user, ct).ConfigureAwait(false);
        }
        finally
        {
            _trialCreation.Release();
        }
    }

    private async Task<Trial> CreateTrialOnceAsync(string name, string experimentName, string? displayName, IReadOnlyList<Tag> tags, string user, CancellationToken ct)
    {
        var experiment = await DescribeExperimentAsync(experimentName, ct).ConfigureAwait(false);
        if (await FindTrialAsync(name, ct).ConfigureAwait(false) is not null)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"A trial named {name} already exists.");
        }

        var all = new List<Tag>(tags) { new(ExperimentTags.Kind, ExperimentTags.TrialKind), new(ExperimentTags.Name, name) };
        if (displayName is not null)
        {
            all.Add(new Tag(ExperimentTags.DisplayName, displayName));
        }

        var run = await tracking.CreateRunAsync(experiment.Experiment.ExperimentId, user, clock.GetUtcNow().ToUnixTimeMilliseconds(), all, name, ct).ConfigureAwait(false);
        return new Trial(run, experimentName);
    }

    /// <summary>The trial, made in the experiment if it does not exist yet (what a training job's ExperimentConfig does).</summary>
    public async Task<Trial> EnsureTrialAsync(string name, string experimentName, string user, CancellationToken ct = default)
    {
        await _trialCreation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await FindTrialAsync(name, ct).ConfigureAwait(false)
                ?? await CreateTrialOnceAsync(name, experimentName, null, [], user, ct).ConfigureAwait(false);
        }
        finally
        {
            _trialCreation.Release();
        }
    }

    public async Task<Trial> DescribeTrialAsync(string name, CancellationToken ct = default) =>
        await FindTrialAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Trial {name} does not exist.");

    public async Task<IReadOnlyList<Trial>> ListTrialsAsync(string? experimentName, string? trialComponentName, CancellationToken ct = default)
    {
        var experiments = experimentName is null
            ? await AllExperimentsAsync(ct).ConfigureAwait(false)
            : [(await DescribeExperimentAsync(experimentName, ct).ConfigureAwait(false)).Experiment];
        var trials = new List<Trial>();
        foreach (var experiment in experiments)
        {
            trials.AddRange(await TrialsAsync(experiment, ct).ConfigureAwait(false));
        }

        if (trialComponentName is not null)
        {
            var component = await DescribeTrialComponentAsync(trialComponentName, ct).ConfigureAwait(false);
            trials = trials.Where(trial => component.Trials.Contains(trial.Name)).ToList();
        }

        return trials;
    }

    public async Task<Trial> UpdateTrialAsync(string name, string? displayName, CancellationToken ct = default)
    {
        var trial = await DescribeTrialAsync(name, ct).ConfigureAwait(false);
        if (displayName is not null)
        {
            await tracking.SetTagAsync(trial.Run.Info.RunId, new Tag(ExperimentTags.DisplayName, displayName), ct).ConfigureAwait(false);
        }

        return await DescribeTrialAsync(name, ct).ConfigureAwait(false);
    }

    /// <summary>As SageMaker: a trial with components associated can't be deleted.</summary>
    public async Task<Trial> DeleteTrialAsync(string name, CancellationToken ct = default)
    {
        var trial = await DescribeTrialAsync(name, ct).ConfigureAwait(false);
        if ((await ComponentsAsync(ct).ConfigureAwait(false)).Any(component => component.Trials.Contains(name)))
        {
            throw KilnException.InvalidParameter($"Trial {name} still has trial components associated; disassociate them first.");
        }

        await tracking.DeleteRunAsync(trial.Run.Info.RunId, ct).ConfigureAwait(false);
        return trial;
    }

    public async Task<TrialComponent> CreateTrialComponentAsync(string name, TrialComponentChange change, string user, CancellationToken ct = default)
    {
        if (await FindComponentAsync(name, ct).ConfigureAwait(false) is not null)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"A trial component named {name} already exists.");
        }

        var tags = new List<Tag>(change.Tags) { new(ExperimentTags.Kind, ExperimentTags.TrialComponentKind), new(ExperimentTags.Name, name) };
        var run = await tracking.CreateRunAsync(StandaloneExperimentId, user, change.StartTime ?? clock.GetUtcNow().ToUnixTimeMilliseconds(), tags, change.DisplayName ?? name, ct).ConfigureAwait(false);
        await ApplyAsync(run, change, ct).ConfigureAwait(false);
        return await DescribeTrialComponentAsync(name, ct).ConfigureAwait(false);
    }

    public async Task<TrialComponent> DescribeTrialComponentAsync(string name, CancellationToken ct = default) =>
        await FindComponentAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Trial component {name} does not exist.");

    public async Task<IReadOnlyList<TrialComponent>> ListTrialComponentsAsync(string? experimentName, string? trialName, string? sourceArn, CancellationToken ct = default)
    {
        var components = await ComponentsAsync(ct).ConfigureAwait(false);
        if (trialName is not null)
        {
            await DescribeTrialAsync(trialName, ct).ConfigureAwait(false);
            components = components.Where(component => component.Trials.Contains(trialName)).ToList();
        }

        if (experimentName is not null)
        {
            var experiment = await DescribeExperimentAsync(experimentName, ct).ConfigureAwait(false);
            var trials = (await TrialsAsync(experiment.Experiment, ct).ConfigureAwait(false)).Select(trial => trial.Name).ToHashSet(StringComparer.Ordinal);
            components = components.Where(component => component.ExperimentName == experimentName || component.Trials.Any(trials.Contains)).ToList();
        }

        return sourceArn is null ? components : components.Where(component => component.SourceArn == sourceArn).ToList();
    }

    public async Task<TrialComponent> UpdateTrialComponentAsync(string name, TrialComponentChange change, CancellationToken ct = default)
    {
        var component = await DescribeTrialComponentAsync(name, ct).ConfigureAwait(false);
        await ApplyAsync(component.Run, change, ct).ConfigureAwait(false);
        return await DescribeTrialComponentAsync(name, ct).ConfigureAwait(false);
    }

    public async Task<TrialComponent> DeleteTrialComponentAsync(string name, CancellationToken ct = default)
    {
        var component = await DescribeTrialComponentAsync(name, ct).ConfigureAwait(false);
        if (component.Trials.Count > 0)
        {
            throw KilnException.InvalidParameter($"Trial component {name} is still associated with {string.Join(", ", component.Trials)}; disassociate it first.");
        }

        await tracking.DeleteRunAsync(component.Run.Info.RunId, ct).ConfigureAwait(false);
        return component;
    }

    public async Task<(TrialComponent Component, Trial Trial)> AssociateAsync(string componentName, string trialName, CancellationToken ct = default)
    {
        var component = await DescribeTrialComponentAsync(componentName, ct).ConfigureAwait(false);
        var trial = await DescribeTrialAsync(trialName, ct).ConfigureAwait(false);
        await tracking.SetTagAsync(component.Run.Info.RunId, new Tag(ExperimentTags.TrialPrefix + trialName, "true"), ct).ConfigureAwait(false);
        if (component.Run.Data.Tags.All(tag => tag.Key != SystemTags.ParentRunId))
        {
            await tracking.SetTagAsync(component.Run.Info.RunId, new Tag(SystemTags.ParentRunId, trial.Run.Info.RunId), ct).ConfigureAwait(false);
        }

        return (await DescribeTrialComponentAsync(componentName, ct).ConfigureAwait(false), trial);
    }

    public async Task<(TrialComponent Component, Trial Trial)> DisassociateAsync(string componentName, string trialName, CancellationToken ct = default)
    {
        var component = await DescribeTrialComponentAsync(componentName, ct).ConfigureAwait(false);
        var trial = await DescribeTrialAsync(trialName, ct).ConfigureAwait(false);
        if (!component.Trials.Contains(trialName))
        {
            throw KilnException.NotFound($"Trial component {componentName} is not associated with trial {trialName}.");
        }

        await tracking.DeleteTagAsync(component.Run.Info.RunId, ExperimentTags.TrialPrefix + trialName, ct).ConfigureAwait(false);
        if (component.Run.Data.Tags.FirstOrDefault(tag => tag.Key == SystemTags.ParentRunId)?.Value == trial.Run.Info.RunId)
        {
            await tracking.DeleteTagAsync(component.Run.Info.RunId, SystemTags.ParentRunId, ct).ConfigureAwait(false);
        }

        return (await DescribeTrialComponentAsync(componentName, ct).ConfigureAwait(false), trial);
    }

    /// <summary>
    /// Experiments, trials and trial components a property search selects, its paths walking the records as these
    /// types show them (<c>Name</c>, <c>Parameters.eta</c>, <c>Metrics.validation:auc</c>, <c>Trials</c>, <c>UserTags.team</c>).
    /// They are views over MLflow experiments and runs (names, trials and artifacts are run tags, metrics summarize
    /// metric histories), which no store holds as such, so the domain evaluates the search over them in memory.
    /// </summary>
    public async Task<Page<SageMakerExperiment>> SearchExperimentsAsync(PropertySearchQuery query, CancellationToken ct = default) =>
        PropertySearch.Run(await ListExperimentsAsync(ct).ConfigureAwait(false), query, Document);

    public async Task<Page<Trial>> SearchTrialsAsync(PropertySearchQuery query, CancellationToken ct = default) =>
        PropertySearch.Run(await ListTrialsAsync(null, null, ct).ConfigureAwait(false), query, Document);

    public async Task<Page<TrialComponent>> SearchTrialComponentsAsync(PropertySearchQuery query, CancellationToken ct = default) =>
        PropertySearch.Run(await ComponentsAsync(ct).ConfigureAwait(false), query, Document);

    private static JsonElement Document<T>(T record) => JsonSerializer.SerializeToElement(record);

    /// <summary>Every trial component (every active run that is not a trial), for listings and Search.</summary>
    public async Task<List<TrialComponent>> ComponentsAsync(CancellationToken ct = default)
    {
        var experiments = await AllExperimentsAsync(ct).ConfigureAwait(false);
        var names = experiments.ToDictionary(experiment => experiment.ExperimentId, experiment => experiment.Name);
        var components = new List<TrialComponent>();
        foreach (var run in await RunsAsync(experiments.Select(e => e.ExperimentId).ToList(), null, ct).ConfigureAwait(false))
        {
            if (!run.Data.Tags.Any(tag => tag.Key == ExperimentTags.Kind && tag.Value == ExperimentTags.TrialKind))
            {
                components.Add(await ComponentAsync(run, names.GetValueOrDefault(run.Info.ExperimentId, ""), ct).ConfigureAwait(false));
            }
        }

        return components;
    }

    private async Task ApplyAsync(Run run, TrialComponentChange change, CancellationToken ct)
    {
        var id = run.Info.RunId;
        var tags = new List<Tag>();
        if (change.DisplayName is not null)
        {
            tags.Add(new Tag(ExperimentTags.DisplayName, change.DisplayName));
        }

        if (change.StatusMessage is not null)
        {
            tags.Add(new Tag(ExperimentTags.StatusMessage, change.StatusMessage));
        }

        tags.AddRange(change.Inputs.Select(pair => new Tag(ExperimentTags.InputPrefix + pair.Key, pair.Value)));
        tags.AddRange(change.Outputs.Select(pair => new Tag(ExperimentTags.OutputPrefix + pair.Key, pair.Value)));
        var known = run.Data.Params.ToDictionary(param => param.Key, param => param.Value, StringComparer.Ordinal);
        var parameters = change.Parameters.Where(pair => !known.ContainsKey(pair.Key)).Select(pair => new Param(pair.Key, pair.Value)).ToList();
        foreach (var (key, value) in change.Parameters.Where(pair => known.TryGetValue(pair.Key, out var old) && old != pair.Value))
        {
            throw KilnException.InvalidParameter($"Parameter {key} already has the value '{known[key]}' and can't be changed to '{value}' (MLflow parameters are immutable); remove it in one call and set it in the next.");
        }

        if (parameters.Count > 0 || tags.Count > 0)
        {
            await tracking.LogBatchAsync(id, [], parameters, tags, ct).ConfigureAwait(false);
        }

        foreach (var key in change.InputsToRemove.Select(name => ExperimentTags.InputPrefix + name).Concat(change.OutputsToRemove.Select(name => ExperimentTags.OutputPrefix + name)))
        {
            await tracking.DeleteTagAsync(id, key, ct).ConfigureAwait(false);
        }

        foreach (var key in change.ParametersToRemove)
        {
            // MLflow can't remove a parameter; it is kept and marked removed.
            await tracking.SetTagAsync(id, new Tag(ExperimentTags.RemovedParameterPrefix + key, "true"), ct).ConfigureAwait(false);
        }

        if (change.Status is not null || change.EndTime is not null)
        {
            await tracking.UpdateRunAsync(id, change.Status, change.EndTime, null, ct).ConfigureAwait(false);
        }
    }

    private async Task<TrialComponent> ComponentAsync(Run run, string experimentName, CancellationToken ct)
    {
        var summaries = new List<MetricSummary>();
        foreach (var latest in run.Data.Metrics)
        {
            var history = (await tracking.GetMetricHistoryAsync(run.Info.RunId, latest.Key, null, null, ct).ConfigureAwait(false)).Items;
            if (history.Count == 0)
            {
                continue;
            }

            var values = history.Select(point => point.Value).ToList();
            var average = values.Average();
            var deviation = values.Count > 1 ? Math.Sqrt(values.Sum(value => (value - average) * (value - average)) / (values.Count - 1)) : 0;
            var last = history.OrderBy(point => point.Step).ThenBy(point => point.Timestamp).Last();
            summaries.Add(new MetricSummary(latest.Key, values.Max(), values.Min(), last.Value, values.Count, average, deviation, last.Timestamp));
        }

        return new TrialComponent(run, experimentName, summaries);
    }

    private async Task<Trial?> FindTrialAsync(string name, CancellationToken ct)
    {
        var experiments = await AllExperimentsAsync(ct).ConfigureAwait(false);
        var runs = await RunsAsync(experiments.Select(e => e.ExperimentId).ToList(), $"tags.`{ExperimentTags.Kind}` = '{ExperimentTags.TrialKind}' and tags.`{ExperimentTags.Name}` = '{Escape(name)}'", ct).ConfigureAwait(false);
        return runs.Count == 0 ? null : new Trial(runs[0], experiments.First(e => e.ExperimentId == runs[0].Info.ExperimentId).Name);
    }

    private async Task<TrialComponent?> FindComponentAsync(string name, CancellationToken ct)
    {
        var experiments = await AllExperimentsAsync(ct).ConfigureAwait(false);
        var ids = experiments.Select(e => e.ExperimentId).ToList();
        var runs = await RunsAsync(ids, $"tags.`{ExperimentTags.Name}` = '{Escape(name)}' and tags.`{ExperimentTags.Kind}` != '{ExperimentTags.TrialKind}'", ct).ConfigureAwait(false);
        if (runs.Count == 0 && name.Length == 32 && name.All(char.IsAsciiHexDigitLower))
        {
            runs = await RunsAsync(ids, $"attributes.run_id = '{name}'", ct).ConfigureAwait(false);
            runs = runs.Where(run => run.Data.Tags.All(tag => tag.Key != ExperimentTags.Kind || tag.Value != ExperimentTags.TrialKind)).ToList();
        }

        return runs.Count == 0 ? null : await ComponentAsync(runs[0], experiments.First(e => e.ExperimentId == runs[0].Info.ExperimentId).Name, ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Trial>> TrialsAsync(Experiment experiment, CancellationToken ct) =>
        (await RunsAsync([experiment.ExperimentId], $"tags.`{ExperimentTags.Kind}` = '{ExperimentTags.TrialKind}'", ct).ConfigureAwait(false))
            .Select(run => new Trial(run, experiment.Name)).ToList();

    private async Task<List<Experiment>> AllExperimentsAsync(CancellationToken ct)
    {
        var experiments = new List<Experiment>();
        string? token = null;
        do
        {
            var page = await tracking.SearchExperimentsAsync(ViewType.ActiveOnly, null, null, 1000, token, ct).ConfigureAwait(false);
            experiments.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        return experiments;
    }

    private async Task<List<Run>> RunsAsync(IReadOnlyList<string> experimentIds, string? filter, CancellationToken ct)
    {
        var runs = new List<Run>();
        foreach (var chunk in experimentIds.Chunk(100))
        {
            string? token = null;
            do
            {
                var page = await tracking.SearchRunsAsync(chunk, filter, ViewType.ActiveOnly, 50_000, null, token, ct).ConfigureAwait(false);
                runs.AddRange(page.Items);
                token = page.NextPageToken;
            }
            while (token is not null);
        }

        return runs;
    }

    private static string Escape(string value) => value.Replace("'", "\\'", StringComparison.Ordinal);
}
