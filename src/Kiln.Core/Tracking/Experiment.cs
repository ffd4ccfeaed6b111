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

public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    LifecycleStage LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyList<Tag> Tags);
