namespace Kiln.Core.Tracking;

public enum RunStatus
{
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

public sealed record Tag(string Key, string Value);

public sealed record Param(string Key, string Value);

/// <summary>One point of a metric series. Timestamps are Unix milliseconds, as everywhere in tracking.</summary>
public sealed record Metric(string Key, double Value, long Timestamp, long Step);

public sealed record RunInfo(
    string RunId,
    string ExperimentId,
    string RunName,
    string UserId,
    RunStatus Status,
    long? StartTime,
    long? EndTime,
    string ArtifactUri,
    LifecycleStage LifecycleStage);

public sealed record RunData(IReadOnlyList<Metric> Metrics, IReadOnlyList<Param> Params, IReadOnlyList<Tag> Tags)
{
    public static readonly RunData Empty = new([], [], []);
}

public sealed record Run(RunInfo Info, RunData Data, IReadOnlyList<DatasetInput> Inputs);
