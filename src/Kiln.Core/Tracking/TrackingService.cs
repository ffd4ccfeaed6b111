using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Core.Tracking;

/// <summary>
/// Experiment tracking: the operations behind MLflow's tracking API (and, later, SageMaker's
/// experiments API). Validates input, applies MLflow's defaults, and delegates storage.
/// </summary>
public sealed class TrackingService(ITrackingStore store, TimeProvider clock, FileRoots? fileRoots = null)
{
    public const string DefaultExperimentId = "0";
    private const int MaxRememberedRuns = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _experimentOfRun = new(StringComparer.Ordinal);

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<string> CreateExperimentAsync(string? name, string? artifactLocation, IReadOnlyList<Tag>? tags, CancellationToken ct = default)
    {
        TrackingValidation.ExperimentName(name);
        if (artifactLocation is not null && artifactLocation.StartsWith("runs:", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter(
                $"Artifact location cannot be a runs:/ URI. Given: '{artifactLocation}'");
        }

        // MLflow takes a location without a scheme as a local path.
        fileRoots?.Check(artifactLocation is ['/', ..] ? "file://" + artifactLocation : artifactLocation, "artifact_location");

        foreach (var tag in tags ?? [])
        {
            TrackingValidation.ExperimentTag(tag);
        }

        return await store.CreateExperimentAsync(name!, string.IsNullOrEmpty(artifactLocation) ? null : artifactLocation, tags ?? [], Now, ct).ConfigureAwait(false);
    }

    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken ct = default) =>
        await store.FindExperimentAsync(experimentId, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"No Experiment with id={experimentId} exists");

    public async Task<Experiment> GetExperimentByNameAsync(string name, CancellationToken ct = default) =>
        await store.FindExperimentByNameAsync(name, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Could not find experiment with name '{name}'");

    public Task<Page<Experiment>> SearchExperimentsAsync(ViewType viewType, string? filter, IReadOnlyList<string>? orderBy, int? maxResults, string? pageToken, CancellationToken ct = default)
    {
        var limit = maxResults ?? TrackingLimits.SearchExperimentsDefaultMaxResults;
        if (limit < 1 || limit > TrackingLimits.SearchExperimentsMaxResultsThreshold)
        {
            throw KilnException.InvalidParameter(
                $"Invalid value {limit} for parameter 'max_results' supplied. It must be at most {TrackingLimits.SearchExperimentsMaxResultsThreshold}, but got value {limit}");
        }

        var query = new ExperimentQuery(
            viewType,
            SearchParser.ParseFilter(filter, SearchSchema.Experiments),
            SearchParser.ParseOrderBy(orderBy, SearchSchema.Experiments),
            limit,
            pageToken);
        PageToken.Decode(pageToken);
        return store.SearchExperimentsAsync(query, ct);
    }

    public async Task RenameExperimentAsync(string experimentId, string? newName, CancellationToken ct = default)
    {
        TrackingValidation.ExperimentName(newName);
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KilnException.InvalidParameter("Cannot rename a non-active experiment.");
        }

        await store.RenameExperimentAsync(experimentId, newName!, Now, ct).ConfigureAwait(false);
    }

    public async Task DeleteExperimentAsync(string experimentId, CancellationToken ct = default)
    {
        if (experimentId == DefaultExperimentId)
        {
            throw KilnException.InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
        }

        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KilnException.InvalidParameter($"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
        }

        await store.SetExperimentLifecycleAsync(experimentId, LifecycleStage.Deleted, Now, ct).ConfigureAwait(false);
    }

    public async Task RestoreExperimentAsync(string experimentId, CancellationToken ct = default)
    {
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Deleted)
        {
            throw KilnException.InvalidParameter($"The experiment {experimentId} must be in the 'deleted' state. Current state is active.");
        }

        await store.SetExperimentLifecycleAsync(experimentId, LifecycleStage.Active, Now, ct).ConfigureAwait(false);
    }

    public async Task SetExperimentTagAsync(string experimentId, Tag tag, CancellationToken ct = default)
    {
        TrackingValidation.ExperimentTag(tag);
        await RequireActiveExperimentAsync(experimentId, ct).ConfigureAwait(false);
        await store.SetExperimentTagAsync(experimentId, tag, Now, ct).ConfigureAwait(false);
    }

    public async Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken ct = default)
    {
        var experiment = await RequireActiveExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.Tags.All(tag => tag.Key != key))
        {
            throw KilnException.NotFound($"No tag with name: {key} in experiment with id {experimentId}");
        }

        await store.DeleteExperimentTagAsync(experimentId, key, Now, ct).ConfigureAwait(false);
    }

    public async Task<Run> CreateRunAsync(string? experimentId, string? userId, long? startTime, IReadOnlyList<Tag>? tags, string? runName, CancellationToken ct = default)
    {
        experimentId = string.IsNullOrEmpty(experimentId) ? DefaultExperimentId : experimentId;
        tags ??= [];
        foreach (var tag in tags)
        {
            TrackingValidation.Tag(tag);
        }

        var tagRunName = tags.LastOrDefault(tag => tag.Key == SystemTags.RunName)?.Value;
        if (!string.IsNullOrEmpty(runName) && tagRunName is not null && tagRunName != runName)
        {
            throw KilnException.InvalidParameter(
                $"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{runName}', mlflow.runName='{tagRunName}').");
        }

        runName = !string.IsNullOrEmpty(runName) ? runName : !string.IsNullOrEmpty(tagRunName) ? tagRunName : RunNames.Generate();
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KilnException.InvalidParameter(
                $"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
        }

        var runId = Guid.NewGuid().ToString("N");
        var allTags = tags.Where(tag => tag.Key != SystemTags.RunName).Append(new Tag(SystemTags.RunName, runName)).ToList();
        var run = new NewRun(
            runId,
            experiment.ExperimentId,
            runName,
            userId ?? "",
            startTime ?? Now,
            allTags,
            $"{experiment.ArtifactLocation.TrimEnd('/')}/{runId}/artifacts");
        var created = await store.CreateRunAsync(run, ct).ConfigureAwait(false);
        Remember(created.Info.RunId, created.Info.ExperimentId);
        return created;
    }

    public async Task<Run> GetRunAsync(string runId, CancellationToken ct = default) =>
        await store.FindRunAsync(runId, ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Run with id={runId} not found");

    /// <summary>
    /// The id of the experiment a run belongs to, remembered (a run never moves): a permission check asks it on every
    /// call about a run, where reading the whole run each time cost more than the call itself.
    /// </summary>
    public async Task<string> ExperimentOfRunAsync(string runId, CancellationToken ct = default)
    {
        if (_experimentOfRun.TryGetValue(runId, out var cached))
        {
            return cached;
        }

        var experimentId = (await GetRunAsync(runId, ct).ConfigureAwait(false)).Info.ExperimentId;
        Remember(runId, experimentId);
        return experimentId;
    }

    private void Remember(string runId, string experimentId)
    {
        if (_experimentOfRun.Count >= MaxRememberedRuns)
        {
            _experimentOfRun.Clear();
        }

        _experimentOfRun[runId] = experimentId;
    }

    public async Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct = default)
    {
        await RequireActiveRunAsync(runId, ct).ConfigureAwait(false);
        return await store.UpdateRunAsync(runId, status, endTime, string.IsNullOrEmpty(runName) ? null : runName, ct).ConfigureAwait(false);
    }

    public async Task DeleteRunAsync(string runId, CancellationToken ct = default)
    {
        await GetRunAsync(runId, ct).ConfigureAwait(false);
        await store.SetRunLifecycleAsync(runId, LifecycleStage.Deleted, Now, ct).ConfigureAwait(false);
    }

    public async Task RestoreRunAsync(string runId, CancellationToken ct = default)
    {
        await GetRunAsync(runId, ct).ConfigureAwait(false);
        await store.SetRunLifecycleAsync(runId, LifecycleStage.Active, Now, ct).ConfigureAwait(false);
    }

    public Task LogMetricAsync(string runId, Metric metric, CancellationToken ct = default)
    {
        TrackingValidation.Metric(metric);
        return store.LogBatchAsync(runId, [metric], [], [], ct);
    }

    public async Task LogParamAsync(string runId, Param param, CancellationToken ct = default)
    {
        TrackingValidation.Param(param);
        await store.LogBatchAsync(runId, [], [param], [], ct).ConfigureAwait(false);
    }

    public Task SetTagAsync(string runId, Tag tag, CancellationToken ct = default)
    {
        TrackingValidation.Tag(tag);
        return store.LogBatchAsync(runId, [], [], [tag], ct);
    }

    public Task DeleteTagAsync(string runId, string key, CancellationToken ct = default) =>
        store.DeleteTagAsync(runId, key, ct);

    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken ct = default)
    {
        TrackingValidation.BatchLimits(metrics.Count, parameters.Count, tags.Count);
        foreach (var key in metrics.Select(metric => metric.Key).Distinct())
        {
            TrackingValidation.MetricKey(key);
        }

        foreach (var metric in metrics)
        {
            TrackingValidation.MetricPoint(metric);
        }

        foreach (var param in parameters)
        {
            TrackingValidation.Param(param);
        }

        foreach (var tag in tags)
        {
            TrackingValidation.Tag(tag);
        }

        var duplicates = parameters.GroupBy(param => param.Key)
            .Where(group => group.Select(param => param.Value).Distinct().Count() > 1)
            .Select(group => group.Key)
            .ToList();
        if (duplicates.Count > 0)
        {
            throw KilnException.InvalidParameter(
                $"Duplicate parameter keys have been submitted: [{string.Join(", ", duplicates.Select(key => $"'{key}'"))}]. Please ensure the request contains only one param value per param key.");
        }

        var distinctParams = parameters.DistinctBy(param => param.Key).ToList();
        return store.LogBatchAsync(runId, metrics, distinctParams, tags, ct);
    }

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct = default)
    {
        if (inputs.Count > TrackingLimits.MaxDatasetsPerBatch)
        {
            throw KilnException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxDatasetsPerBatch} datasets. Got {inputs.Count} datasets. Please split up datasets across multiple requests and try again.");
        }

        foreach (var input in inputs)
        {
            TrackingValidation.Dataset(input);
        }

        return store.LogInputsAsync(runId, inputs, ct);
    }

    public async Task<Page<Metric>> GetMetricHistoryAsync(string runId, string key, int? maxResults, string? pageToken, CancellationToken ct = default)
    {
        var limit = maxResults ?? TrackingLimits.MetricHistoryMaxResultsThreshold;
        if (limit < 1 || limit > TrackingLimits.MetricHistoryMaxResultsThreshold)
        {
            throw KilnException.InvalidParameter(
                $"Invalid value {limit} for parameter 'max_results' supplied. It must be at most {TrackingLimits.MetricHistoryMaxResultsThreshold}, but got value {limit}");
        }

        PageToken.Decode(pageToken);
        await GetRunAsync(runId, ct).ConfigureAwait(false);
        return await store.GetMetricHistoryAsync(runId, key, limit, pageToken, ct).ConfigureAwait(false);
    }

    public Task<Page<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter, ViewType viewType, int? maxResults, IReadOnlyList<string>? orderBy, string? pageToken, CancellationToken ct = default)
    {
        var limit = maxResults ?? TrackingLimits.SearchRunsDefaultMaxResults;
        if (limit < 0 || limit > TrackingLimits.SearchRunsMaxResultsThreshold)
        {
            throw KilnException.InvalidParameter(
                $"Invalid value for request parameter max_results. It must be at most {TrackingLimits.SearchRunsMaxResultsThreshold}, but got value {limit}");
        }

        var query = new RunQuery(
            experimentIds,
            SearchParser.ParseFilter(filter, SearchSchema.Runs),
            viewType,
            SearchParser.ParseOrderBy(orderBy, SearchSchema.Runs),
            limit,
            pageToken);
        PageToken.Decode(pageToken);
        return store.SearchRunsAsync(query, ct);
    }

    /// <summary>How many runs a search with this filter matches, over all its pages.</summary>
    public Task<long> CountRunsAsync(IReadOnlyList<string> experimentIds, string? filter, ViewType viewType, CancellationToken ct = default) =>
        store.CountRunsAsync(new RunQuery(experimentIds, SearchParser.ParseFilter(filter, SearchSchema.Runs), viewType, [], 0, null), ct);

    /// <summary>Every param and metric key the experiments' runs have logged (a runs table's choice of columns).</summary>
    public Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default) =>
        store.ListRunKeysAsync(experimentIds, viewType, ct);

    private async Task<Experiment> RequireActiveExperimentAsync(string experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KilnException.InvalidParameter(
                $"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
        }

        return experiment;
    }

    private async Task RequireActiveRunAsync(string runId, CancellationToken ct)
    {
        var run = await GetRunAsync(runId, ct).ConfigureAwait(false);
        if (run.Info.LifecycleStage != LifecycleStage.Active)
        {
            throw KilnException.InvalidParameter(
                $"The run {runId} must be in the 'active' state. Current state is deleted.");
        }
    }
}
