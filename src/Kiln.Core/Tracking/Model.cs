namespace Kiln.Core.Tracking;

public enum LifecycleStage
{
    Active,
    Deleted,
}

/// <summary>Which lifecycle stages a listing includes (MLflow's ViewType).</summary>
public enum ViewType
{
    ActiveOnly,
    DeletedOnly,
    All,
}

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

public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    LifecycleStage LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyList<Tag> Tags);

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

public sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

public sealed record DatasetInput(Dataset Dataset, IReadOnlyList<Tag> Tags);

public sealed record Run(RunInfo Info, RunData Data, IReadOnlyList<DatasetInput> Inputs);

/// <summary>Tag keys with meaning to MLflow clients (and so to Kiln).</summary>
public static class SystemTags
{
    public const string RunName = "mlflow.runName";
    public const string User = "mlflow.user";
    public const string ParentRunId = "mlflow.parentRunId";
}
