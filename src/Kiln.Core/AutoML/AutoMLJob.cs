using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Core.AutoML;

/// <summary>What an AutoML job learns: a tabular problem (classification or regression) or text classification.</summary>
public enum AutoMLProblemType
{
    BinaryClassification,
    MulticlassClassification,
    Regression,
    TextClassification,
}

/// <summary>
/// How candidates are made: every candidate pipeline tuned (HYPERPARAMETER_TUNING), or the same followed by a
/// weighted blend of the best few (ENSEMBLING). AUTO picks ensembling for small tables, tuning otherwise, as Autopilot does.
/// </summary>
public enum AutoMLMode
{
    Auto,
    Ensembling,
    HyperparameterTuning,
}

/// <summary>What CreateAutoMLJob (v1) and CreateAutoMLJobV2 ask for, in one shape.</summary>
public sealed record AutoMLJobSpec
{
    public required string Name { get; init; }

    /// <summary>1 for CreateAutoMLJob, 2 for CreateAutoMLJobV2: Describe answers in the dialect the job was made with.</summary>
    public int ApiVersion { get; init; } = 2;

    public required string TrainingDataUri { get; init; }

    /// <summary>A separate validation channel; without one, ValidationFraction of the training data is held out.</summary>
    public string? ValidationDataUri { get; init; }

    public string? ContentType { get; init; }

    public required string TargetColumn { get; init; }

    /// <summary>The text column of a text-classification job (TextClassificationJobConfig.ContentColumn).</summary>
    public string? TextColumn { get; init; }

    /// <summary>As asked; null to infer it from the target.</summary>
    public AutoMLProblemType? ProblemType { get; init; }

    /// <summary>As asked (Accuracy, F1, AUC, MSE, …); null for the problem type's default.</summary>
    public string? ObjectiveMetric { get; init; }

    public int? MaxCandidates { get; init; }

    public int? MaxRuntimePerTrainingJobInSeconds { get; init; }

    public int? MaxAutoMLJobRuntimeInSeconds { get; init; }

    public AutoMLMode Mode { get; init; } = AutoMLMode.Auto;

    public double? ValidationFraction { get; init; }

    public required string OutputPath { get; init; }

    public string? RoleArn { get; init; }

    public bool GenerateCandidateDefinitionsOnly { get; init; }

    /// <summary>Deploy the best candidate to this endpoint when the job completes (ModelDeployConfig).</summary>
    public string? DeployEndpointName { get; init; }

    public bool AutoGenerateEndpointName { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public string CreatedBy { get; init; } = "";
}

public enum AutoMLJobStatus
{
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>SageMaker's secondary statuses, in the order a job goes through them.</summary>
public static class AutoMLSecondaryStatus
{
    public const string Starting = "Starting";
    public const string AnalyzingData = "AnalyzingData";
    public const string FeatureEngineering = "FeatureEngineering";
    public const string ModelTuning = "ModelTuning";
    public const string TrainingModels = "TrainingModels";
    public const string GeneratingExplainabilityReport = "GeneratingExplainabilityReport";
    public const string GeneratingModelInsightsReport = "GeneratingModelInsightsReport";
    public const string DeployingModel = "DeployingModel";
    public const string CandidateDefinitionsGenerated = "CandidateDefinitionsGenerated";
    public const string Completed = "Completed";
    public const string MaxCandidatesReached = "MaxCandidatesReached";
    public const string MaxAutoMLJobRuntimeReached = "MaxAutoMLJobRuntimeReached";
    public const string Failed = "Failed";
    public const string Stopping = "Stopping";
    public const string Stopped = "Stopped";
}

/// <summary>The objective the candidates are ranked by: a standard metric name and its direction.</summary>
public sealed record AutoMLObjective(string MetricName, bool Maximize)
{
    public bool Better(double candidate, double incumbent) => Maximize ? candidate > incumbent : candidate < incumbent;

    /// <summary>
    /// Candidates best first: scored ones by the objective, ties (common for accuracy on few rows) broken by log loss or
    /// MSE, which tell apart models that are right equally often; then the rest by creation.
    /// </summary>
    public List<AutoMLCandidate> Rank(IEnumerable<AutoMLCandidate> candidates) =>
        candidates.OrderBy(c => c.Objective is null ? 1 : 0)
            .ThenBy(c => c.Objective is { } v ? (Maximize ? -v : v) : 0)
            .ThenBy(c => c.Metrics.TryGetValue("LogLoss", out var logLoss) ? logLoss : c.Metrics.GetValueOrDefault("MSE"))
            .ThenBy(c => c.CreationTime)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
}

/// <summary>One candidate: a preprocessing pipeline and an algorithm with tuned hyperparameters, trained as a training job and scored on the validation data.</summary>
public sealed record AutoMLCandidate
{
    /// <summary>The candidate's training job (an ensemble's own name for an ensemble).</summary>
    public required string Name { get; init; }

    /// <summary>The candidate pipeline it came from (dpp0-xgboost, dpp2-linear-learner, …).</summary>
    public required string Pipeline { get; init; }

    public required string Algorithm { get; init; }

    /// <summary>The preprocessing steps, in order, as the candidate report shows them.</summary>
    public required IReadOnlyList<string> Preprocessing { get; init; }

    public required IReadOnlyDictionary<string, string> HyperParameters { get; init; }

    public TrainingJobStatus Status { get; init; } = TrainingJobStatus.InProgress;

    /// <summary>Standard metrics (Accuracy, F1, AUC, RMSE, …) measured on the validation data with the candidate's model as it would serve.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The objective: its mean over the cross-validation folds when the candidate was cross-validated, else on the validation rows.</summary>
    public double? Objective { get; init; }

    /// <summary>How many folds the candidate was cross-validated on (the job's training and validation rows together); null when it was not.</summary>
    public int? CrossValidationFolds { get; init; }

    /// <summary>The standard deviation of the objective over the cross-validation folds.</summary>
    public double? ObjectiveStandardDeviation { get; init; }

    /// <summary>
    /// The metrics on the validation rows of the model trained on the training rows, kept when cross-validation
    /// replaced <see cref="Metrics"/> with the means over the folds.
    /// </summary>
    public IReadOnlyDictionary<string, double>? HoldoutMetrics { get; init; }

    /// <summary>The model that was scored: trained on the training rows only.</summary>
    public string? ModelDataUrl { get; init; }

    /// <summary>The same candidate retrained on every row, training and validation (the best candidate only); null until then or if that failed.</summary>
    public string? RefitModelDataUrl { get; init; }

    /// <summary>The model to deploy: the refit one when there is one.</summary>
    public string? ServingModelDataUrl => RefitModelDataUrl ?? ModelDataUrl;

    public required string Image { get; init; }

    /// <summary>For an ensemble: its members and their weights.</summary>
    public IReadOnlyList<EnsembleMember>? Members { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public DateTimeOffset LastModifiedTime { get; init; }

    public string? FailureReason { get; init; }

    public bool IsFinished => Status is TrainingJobStatus.Completed or TrainingJobStatus.Failed or TrainingJobStatus.Stopped;
}

/// <summary>A candidate pipeline as generated: its name (dpp0-xgboost, …), algorithm, image, and preprocessing steps.</summary>
public sealed record AutoMLPipeline(string Name, string Algorithm, string Image, IReadOnlyList<string> Preprocessing);

/// <summary>A candidate inside an ensemble and the weight its predictions get in the blend.</summary>
public sealed record EnsembleMember(string Candidate, double Weight);

public sealed record AutoMLJob : IJobRecord<AutoMLJob>
{
    public AutoMLJob WithAttempt(int attempt) => this with { Attempt = attempt };

    public AutoMLJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

    public required AutoMLJobSpec Spec { get; init; }

    public string Name => Spec.Name;

    public AutoMLJobStatus Status { get; init; } = AutoMLJobStatus.InProgress;

    public string SecondaryStatus { get; init; } = AutoMLSecondaryStatus.Starting;

    public string? FailureReason { get; init; }

    public IReadOnlyList<string> PartialFailures { get; init; } = [];

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    /// <summary>What the job settled on once it read the data: the problem type and the objective.</summary>
    public AutoMLProblemType? ResolvedProblemType { get; init; }

    public AutoMLObjective? ResolvedObjective { get; init; }

    /// <summary>Where the job put the rows the candidates train on and are scored on (its split of the input).</summary>
    public string? TrainSplitUri { get; init; }

    public string? ValidationSplitUri { get; init; }

    /// <summary>Every row of the job's data, training and validation together: what the best candidate is refit on.</summary>
    public string? AllRowsUri { get; init; }

    /// <summary>The candidate pipelines generated for the data (what each candidate's preprocessing and algorithm are).</summary>
    public IReadOnlyList<AutoMLPipeline> Pipelines { get; init; } = [];

    /// <summary>The tuning job that trains the candidates.</summary>
    public string? TuningJobName { get; init; }

    public IReadOnlyList<AutoMLCandidate> Candidates { get; init; } = [];

    public string? BestCandidateName { get; init; }

    /// <summary>The top objective's standard error on the validation rows: candidates within it of the top counted as equally good when the best was chosen.</summary>
    public double? BestObjectiveStandardError { get; init; }

    public string? DataExplorationReportUri { get; init; }

    public string? CandidateReportUri { get; init; }

    /// <summary>The best candidate's explainability report (feature importance) and model insights (its metrics and plots).</summary>
    public string? ExplainabilityUri { get; init; }

    public string? ModelInsightsUri { get; init; }

    public string? DeployedEndpointName { get; init; }

    public bool StopRequested { get; init; }

    public int Attempt { get; init; }

    public bool IsFinished => Status is AutoMLJobStatus.Completed or AutoMLJobStatus.Failed or AutoMLJobStatus.Stopped;

    public AutoMLCandidate? Best => BestCandidateName is { } name ? Candidates.FirstOrDefault(c => c.Name == name) : null;
}
