using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Core.Tracking;

/// <summary>
/// Persistence for experiments and runs. Implementations receive validated input from
/// <see cref="TrackingService"/> and own the checks that need the stored state (existence,
/// lifecycle, uniqueness), raising <see cref="KilnException"/> with the codes MLflow uses.
/// </summary>
public interface ITrackingStore
{
    Task<string> CreateExperimentAsync(string name, string? artifactLocation, IReadOnlyList<Tag> tags, long now, CancellationToken ct = default);

    Task<Experiment?> FindExperimentAsync(string experimentId, CancellationToken ct = default);

    Task<Experiment?> FindExperimentByNameAsync(string name, CancellationToken ct = default);

    Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct = default);

    Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct = default);

    Task SetExperimentLifecycleAsync(string experimentId, LifecycleStage stage, long now, CancellationToken ct = default);

    Task SetExperimentTagAsync(string experimentId, Tag tag, long now, CancellationToken ct = default);

    Task DeleteExperimentTagAsync(string experimentId, string key, long now, CancellationToken ct = default);

    Task<Run> CreateRunAsync(NewRun run, CancellationToken ct = default);

    Task<Run?> FindRunAsync(string runId, CancellationToken ct = default);

    Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct = default);

    Task SetRunLifecycleAsync(string runId, LifecycleStage stage, long now, CancellationToken ct = default);

    /// <summary>Writes metrics, params and tags atomically: either all land or none do.</summary>
    Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken ct = default);

    Task DeleteTagAsync(string runId, string key, CancellationToken ct = default);

    Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct = default);

    Task<Page<Metric>> GetMetricHistoryAsync(string runId, string key, int maxResults, string? pageToken, CancellationToken ct = default);

    Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct = default);

    /// <summary>How many runs match the query's experiments, view and filter (its order and paging ignored).</summary>
    Task<long> CountRunsAsync(RunQuery query, CancellationToken ct = default);

    /// <summary>Every param and metric key logged by a run of these experiments, each sorted.</summary>
    Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default);
}

public sealed record RunKeys(IReadOnlyList<string> Params, IReadOnlyList<string> Metrics);

public sealed record NewRun(
    string RunId,
    string ExperimentId,
    string RunName,
    string UserId,
    long StartTime,
    IReadOnlyList<Tag> Tags,
    string ArtifactUri);

public sealed record ExperimentQuery(
    ViewType ViewType,
    IReadOnlyList<FilterClause> Filter,
    IReadOnlyList<OrderByClause> OrderBy,
    int MaxResults,
    string? PageToken);

public sealed record RunQuery(
    IReadOnlyList<string> ExperimentIds,
    IReadOnlyList<FilterClause> Filter,
    ViewType ViewType,
    IReadOnlyList<OrderByClause> OrderBy,
    int MaxResults,
    string? PageToken);
