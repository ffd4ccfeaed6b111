using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal static class TuningPatterns
{
    public const string TuningJobName = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}";
}

internal sealed record HyperbandStrategyConfig
{
    [AwsRange(1)]
    public int? MinResource { get; init; }

    [AwsRange(1)]
    public int? MaxResource { get; init; }
}

internal sealed record HyperParameterTuningJobStrategyConfig
{
    public HyperbandStrategyConfig? HyperbandStrategyConfig { get; init; }
}

internal sealed record HyperParameterTuningJobObjective
{
    [AwsRequired, AwsEnum("Maximize", "Minimize")]
    public string? Type { get; init; }

    [AwsRequired, AwsLength(1, 255), AwsPattern(".+")]
    public string? MetricName { get; init; }
}

internal sealed record ResourceLimits
{
    [AwsRange(1)]
    public int? MaxNumberOfTrainingJobs { get; init; }

    [AwsRequired, AwsRange(1)]
    public int? MaxParallelTrainingJobs { get; init; }

    [AwsRange(120, 15_768_000)]
    public int? MaxRuntimeInSeconds { get; init; }
}

internal sealed record NumericParameterRange
{
    [AwsRequired, AwsLength(0, 256)]
    public string? Name { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? MinValue { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? MaxValue { get; init; }

    [AwsEnum("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")]
    public string? ScalingType { get; init; }
}

internal sealed record CategoricalParameterRange
{
    [AwsRequired, AwsLength(0, 256)]
    public string? Name { get; init; }

    [AwsRequired, AwsLength(1, 30)]
    public List<string>? Values { get; init; }
}

internal sealed record ParameterRanges
{
    [AwsLength(0, 30)]
    public List<NumericParameterRange>? IntegerParameterRanges { get; init; }

    [AwsLength(0, 30)]
    public List<NumericParameterRange>? ContinuousParameterRanges { get; init; }

    [AwsLength(0, 30)]
    public List<CategoricalParameterRange>? CategoricalParameterRanges { get; init; }
}

internal sealed record BestObjectiveNotImproving
{
    [AwsRange(3)]
    public int? MaxNumberOfTrainingJobsNotImproving { get; init; }
}

internal sealed record ConvergenceDetected
{
    [AwsEnum("Disabled", "Enabled")]
    public string? CompleteOnConvergence { get; init; }
}

internal sealed record TuningJobCompletionCriteria
{
    public double? TargetObjectiveMetricValue { get; init; }

    public BestObjectiveNotImproving? BestObjectiveNotImproving { get; init; }

    public ConvergenceDetected? ConvergenceDetected { get; init; }
}

internal sealed record HyperParameterTuningJobConfig
{
    [AwsRequired, AwsEnum("Bayesian", "Random", "Hyperband", "Grid")]
    public string? Strategy { get; init; }

    public HyperParameterTuningJobStrategyConfig? StrategyConfig { get; init; }

    public HyperParameterTuningJobObjective? HyperParameterTuningJobObjective { get; init; }

    [AwsRequired]
    public ResourceLimits? ResourceLimits { get; init; }

    public ParameterRanges? ParameterRanges { get; init; }

    [AwsEnum("Off", "Auto")]
    public string? TrainingJobEarlyStoppingType { get; init; }

    public TuningJobCompletionCriteria? TuningJobCompletionCriteria { get; init; }

    [AwsRange(0)]
    public int? RandomSeed { get; init; }
}

internal sealed record HyperParameterAlgorithmSpecification
{
    [AwsLength(0, 255)]
    public string? TrainingImage { get; init; }

    [AwsRequired, AwsEnum("Pipe", "File", "FastFile")]
    public string? TrainingInputMode { get; init; }

    [AwsLength(1, 170)]
    public string? AlgorithmName { get; init; }

    [AwsLength(0, 40)]
    public List<MetricDefinition>? MetricDefinitions { get; init; }
}

internal sealed record HyperParameterTrainingJobDefinition
{
    [AwsLength(1, 64), AwsPattern(@"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}")]
    public string? DefinitionName { get; init; }

    public HyperParameterTuningJobObjective? TuningObjective { get; init; }

    public ParameterRanges? HyperParameterRanges { get; init; }

    [AwsLength(0, 100), AwsMap(256, 2500)]
    public Dictionary<string, string>? StaticHyperParameters { get; init; }

    [AwsRequired]
    public HyperParameterAlgorithmSpecification? AlgorithmSpecification { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    [AwsLength(1, 20)]
    public List<Channel>? InputDataConfig { get; init; }

    [AwsRequired]
    public OutputDataConfig? OutputDataConfig { get; init; }

    public ResourceConfig? ResourceConfig { get; init; }

    [AwsRequired]
    public StoppingCondition? StoppingCondition { get; init; }

    public bool? EnableNetworkIsolation { get; init; }

    [AwsLength(0, 48), AwsMap(512, 512)]
    public Dictionary<string, string>? Environment { get; init; }
}

internal sealed record ParentHyperParameterTuningJob
{
    [AwsLength(1, 32), AwsPattern(TuningPatterns.TuningJobName)]
    public string? HyperParameterTuningJobName { get; init; }
}

internal sealed record HyperParameterTuningJobWarmStartConfig
{
    [AwsRequired, AwsLength(1, 5)]
    public List<ParentHyperParameterTuningJob>? ParentHyperParameterTuningJobs { get; init; }

    [AwsRequired, AwsEnum("IdenticalDataAndAlgorithm", "TransferLearning")]
    public string? WarmStartType { get; init; }
}

internal sealed record CreateHyperParameterTuningJobRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(TuningPatterns.TuningJobName)]
    public string? HyperParameterTuningJobName { get; init; }

    [AwsRequired]
    public HyperParameterTuningJobConfig? HyperParameterTuningJobConfig { get; init; }

    public HyperParameterTrainingJobDefinition? TrainingJobDefinition { get; init; }

    [AwsLength(1, 10)]
    public List<HyperParameterTrainingJobDefinition>? TrainingJobDefinitions { get; init; }

    public HyperParameterTuningJobWarmStartConfig? WarmStartConfig { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record CreateHyperParameterTuningJobResponse(string HyperParameterTuningJobArn);

internal sealed record TuningJobNameRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(TuningPatterns.TuningJobName)]
    public string? HyperParameterTuningJobName { get; init; }
}

internal sealed record TrainingJobStatusCounters(int Completed, int InProgress, int RetryableError, int NonRetryableError, int Stopped);

internal sealed record ObjectiveStatusCounters(int Succeeded, int Pending, int Failed);

internal sealed record FinalHyperParameterTuningJobObjectiveMetric(string? Type, string MetricName, double Value);

internal sealed record HyperParameterTrainingJobSummary
{
    public string? TrainingJobDefinitionName { get; init; }

    public required string TrainingJobName { get; init; }

    public required string TrainingJobArn { get; init; }

    public string? TuningJobName { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? TrainingStartTime { get; init; }

    public DateTimeOffset? TrainingEndTime { get; init; }

    public required string TrainingJobStatus { get; init; }

    public required Dictionary<string, string> TunedHyperParameters { get; init; }

    public string? FailureReason { get; init; }

    public FinalHyperParameterTuningJobObjectiveMetric? FinalHyperParameterTuningJobObjectiveMetric { get; init; }

    public string? ObjectiveStatus { get; init; }
}

internal sealed record HyperParameterTuningJobCompletionDetails(int? NumberOfTrainingJobsObjectiveNotImproving, DateTimeOffset? ConvergenceDetectedTime);

internal sealed record HyperParameterTuningJobConsumedResources(int? RuntimeInSeconds);

internal sealed record DescribeHyperParameterTuningJobResponse
{
    public required string HyperParameterTuningJobName { get; init; }

    public required string HyperParameterTuningJobArn { get; init; }

    public required HyperParameterTuningJobConfig HyperParameterTuningJobConfig { get; init; }

    public HyperParameterTrainingJobDefinition? TrainingJobDefinition { get; init; }

    public List<HyperParameterTrainingJobDefinition>? TrainingJobDefinitions { get; init; }

    public required string HyperParameterTuningJobStatus { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? HyperParameterTuningEndTime { get; init; }

    public DateTimeOffset? LastModifiedTime { get; init; }

    public required TrainingJobStatusCounters TrainingJobStatusCounters { get; init; }

    public required ObjectiveStatusCounters ObjectiveStatusCounters { get; init; }

    public HyperParameterTrainingJobSummary? BestTrainingJob { get; init; }

    public HyperParameterTuningJobWarmStartConfig? WarmStartConfig { get; init; }

    public string? FailureReason { get; init; }

    public HyperParameterTuningJobCompletionDetails? TuningJobCompletionDetails { get; init; }

    public HyperParameterTuningJobConsumedResources? ConsumedResources { get; init; }
}

internal sealed record ListHyperParameterTuningJobsRequest : JobListRequestShape, IJobListRequest
{
    [AwsEnum("Name", "Status", "CreationTime")]
    public string? SortBy { get; init; }

    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("Completed", "InProgress", "Failed", "Stopped", "Stopping", "Deleting", "DeleteFailed")]
    public string? StatusEquals { get; init; }
}

internal sealed record HyperParameterTuningJobSummary(
    string HyperParameterTuningJobName,
    string HyperParameterTuningJobArn,
    string HyperParameterTuningJobStatus,
    string Strategy,
    DateTimeOffset CreationTime,
    DateTimeOffset? HyperParameterTuningEndTime,
    DateTimeOffset? LastModifiedTime,
    TrainingJobStatusCounters TrainingJobStatusCounters,
    ObjectiveStatusCounters ObjectiveStatusCounters,
    ResourceLimits ResourceLimits);

internal sealed record ListHyperParameterTuningJobsResponse(List<HyperParameterTuningJobSummary> HyperParameterTuningJobSummaries, string? NextToken);

internal sealed record ListTrainingJobsForHyperParameterTuningJobRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(TuningPatterns.TuningJobName)]
    public string? HyperParameterTuningJobName { get; init; }

    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }

    [AwsRange(1, 100)]
    public int? MaxResults { get; init; }

    [AwsEnum("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")]
    public string? StatusEquals { get; init; }

    [AwsEnum("Name", "CreationTime", "Status", "FinalObjectiveMetricValue")]
    public string? SortBy { get; init; }

    [AwsEnum("Ascending", "Descending")]
    public string? SortOrder { get; init; }
}

internal sealed record ListTrainingJobsForHyperParameterTuningJobResponse(List<HyperParameterTrainingJobSummary> TrainingJobSummaries, string? NextToken);
