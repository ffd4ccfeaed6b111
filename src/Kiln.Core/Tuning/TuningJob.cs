using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Core.Tuning;

public enum ParameterKind
{
    Integer,
    Continuous,
    Categorical,
}

/// <summary>How a numeric range is searched: evenly, or evenly in the logarithm (for rates spanning decades), or in log(1 − x) near 1.</summary>
public enum ScalingType
{
    Auto,
    Linear,
    Logarithmic,
    ReverseLogarithmic,
}

/// <summary>One searched hyperparameter: a numeric range with its scaling, or a set of values.</summary>
public sealed record ParameterRange(string Name, ParameterKind Kind, double Min = 0, double Max = 0, ScalingType Scaling = ScalingType.Auto, IReadOnlyList<string>? Values = null);

public sealed record TuningObjective(bool Maximize, string MetricName)
{
    /// <summary>Whether <paramref name="candidate"/> is better than <paramref name="incumbent"/>.</summary>
    public bool Better(double candidate, double incumbent) => Maximize ? candidate > incumbent : candidate < incumbent;
}

/// <summary>A training job definition of a tuning job: the trials' template, with the ranges searched and the values fixed.</summary>
public sealed record TrainingDefinition(
    string? Name,
    TrainingJobSpec Template,
    IReadOnlyList<ParameterRange> Ranges,
    IReadOnlyDictionary<string, string> StaticHyperParameters,
    TuningObjective? Objective);

public static class TuningStrategies
{
    public const string Bayesian = "Bayesian";
    public const string Random = "Random";
    public const string Grid = "Grid";
    public const string Hyperband = "Hyperband";
}

/// <summary>What CreateHyperParameterTuningJob asks for.</summary>
public sealed record TuningJobSpec
{
    public required string Name { get; init; }

    public required string Strategy { get; init; }

    public int? HyperbandMinResource { get; init; }

    public int? HyperbandMaxResource { get; init; }

    public required TuningObjective Objective { get; init; }

    /// <summary>The trial budget (null for Grid: every point of the grid).</summary>
    public int? MaxTrainingJobs { get; init; }

    public required int MaxParallelTrainingJobs { get; init; }

    public int? MaxRuntimeInSeconds { get; init; }

    /// <summary>"Auto" stops trials that cannot beat the median of the trials before them; "Off" lets every trial finish.</summary>
    public string EarlyStopping { get; init; } = "Off";

    public double? TargetObjectiveValue { get; init; }

    public int? MaxTrainingJobsNotImproving { get; init; }

    public bool CompleteOnConvergence { get; init; }

    public int RandomSeed { get; init; }

    /// <summary>
    /// Kiln's own: the same seed gives the same trials whatever order parallel trials finish in. Trial n is proposed
    /// from the results of trials 1 … n − MaxParallelTrainingJobs only, and waits for all of them to finish (AutoML sets it).
    /// </summary>
    public bool Reproducible { get; init; }

    public required IReadOnlyList<TrainingDefinition> Definitions { get; init; }

    /// <summary>Earlier tuning jobs whose trials seed the search (IdenticalDataAndAlgorithm or TransferLearning).</summary>
    public IReadOnlyList<string> WarmStartParents { get; init; } = [];

    public string? WarmStartType { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public string CreatedBy { get; init; } = "";
}

public enum TuningJobStatus
{
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>One trial: the training job it started, with which hyperparameters, and (once known) its objective.</summary>
public sealed record Trial(
    string TrainingJobName,
    string? DefinitionName,
    IReadOnlyDictionary<string, string> TunedHyperParameters,
    DateTimeOffset CreationTime,
    TrainingJobStatus Status = TrainingJobStatus.InProgress,
    double? Objective = null,
    string? FailureReason = null)
{
    public bool IsFinished => Status is TrainingJobStatus.Completed or TrainingJobStatus.Failed or TrainingJobStatus.Stopped;
}

public sealed record TuningJob : IJobRecord<TuningJob>
{
    public TuningJob WithAttempt(int attempt) => this with { Attempt = attempt };

    public TuningJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

    public required TuningJobSpec Spec { get; init; }

    public string Name => Spec.Name;

    public TuningJobStatus Status { get; init; } = TuningJobStatus.InProgress;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public IReadOnlyList<Trial> Trials { get; init; } = [];

    public bool StopRequested { get; init; }

    public int Attempt { get; init; }

    /// <summary>The tracked run the trials' runs are children of.</summary>
    public string? ParentRunId { get; init; }

    /// <summary>Why the tuning job ended before its budget (target reached, not improving, converged), if it did.</summary>
    public string? CompletionReason { get; init; }

    public int TrialsNotImproving { get; init; }

    public DateTimeOffset? ConvergenceDetectedTime { get; init; }

    public bool IsFinished => Status is TuningJobStatus.Completed or TuningJobStatus.Failed or TuningJobStatus.Stopped;

    /// <summary>The finished trial with the best objective, if any has one.</summary>
    public Trial? Best => Trials.Where(trial => trial.Objective is not null)
        .Aggregate((Trial?)null, (best, trial) => best is null || Spec.Objective.Better(trial.Objective!.Value, best.Objective!.Value) ? trial : best);

    public int? RuntimeInSeconds => (int)Math.Ceiling(((EndTime ?? LastModifiedTime) - CreationTime).TotalSeconds);
}
