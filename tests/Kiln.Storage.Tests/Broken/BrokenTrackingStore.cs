using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Broken;

/// <summary>
/// A tracking store with the two bugs a new backend most easily ships: listings ignore the page token
/// (every call answers the first page), and a batch that arrives while another is being written is
/// silently dropped (a lost update). Everything else is a correct store it wraps.
/// </summary>
internal sealed class BrokenTrackingStore(ITrackingStore inner) : ITrackingStore
{
    private int _writing;

    public Task<string> CreateExperimentAsync(string name, string? artifactLocation, IReadOnlyList<Tag> tags, long now, CancellationToken ct = default) =>
        inner.CreateExperimentAsync(name, artifactLocation, tags, now, ct);

    public Task<Experiment?> FindExperimentAsync(string experimentId, CancellationToken ct = default) => inner.FindExperimentAsync(experimentId, ct);

    public Task<Experiment?> FindExperimentByNameAsync(string name, CancellationToken ct = default) => inner.FindExperimentByNameAsync(name, ct);

    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct = default) =>
        inner.SearchExperimentsAsync(query with { PageToken = null }, ct);

    public Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct = default) =>
        inner.RenameExperimentAsync(experimentId, newName, now, ct);

    public Task SetExperimentLifecycleAsync(string experimentId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        inner.SetExperimentLifecycleAsync(experimentId, stage, now, ct);

    public Task SetExperimentTagAsync(string experimentId, Tag tag, long now, CancellationToken ct = default) =>
        inner.SetExperimentTagAsync(experimentId, tag, now, ct);

    public Task DeleteExperimentTagAsync(string experimentId, string key, long now, CancellationToken ct = default) =>
        inner.DeleteExperimentTagAsync(experimentId, key, now, ct);

    public Task<Run> CreateRunAsync(NewRun run, CancellationToken ct = default) => inner.CreateRunAsync(run, ct);

    public Task<Run?> FindRunAsync(string runId, CancellationToken ct = default) => inner.FindRunAsync(runId, ct);

    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct = default) =>
        inner.UpdateRunAsync(runId, status, endTime, runName, ct);

    public Task SetRunLifecycleAsync(string runId, LifecycleStage stage, long now, CancellationToken ct = default) =>
        inner.SetRunLifecycleAsync(runId, stage, now, ct);

    public async Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            return;
        }

        try
        {
            // Holding the "lock" across a yield makes overlapping writers likely, as a slow network store would.
            await Task.Delay(1, ct);
            await inner.LogBatchAsync(runId, metrics, parameters, tags, ct);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    public Task DeleteTagAsync(string runId, string key, CancellationToken ct = default) => inner.DeleteTagAsync(runId, key, ct);

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct = default) => inner.LogInputsAsync(runId, inputs, ct);

    public Task<Page<Metric>> GetMetricHistoryAsync(string runId, string key, int maxResults, string? pageToken, CancellationToken ct = default) =>
        inner.GetMetricHistoryAsync(runId, key, maxResults, null, ct);

    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct = default) =>
        inner.SearchRunsAsync(query with { PageToken = null }, ct);

    public Task<long> CountRunsAsync(RunQuery query, CancellationToken ct = default) => inner.CountRunsAsync(query, ct);

    public Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default) =>
        inner.ListRunKeysAsync(experimentIds, viewType, ct);
}
