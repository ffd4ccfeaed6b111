using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

// AutoML jobs (CreateAutoMLJob and CreateAutoMLJobV2), named and constrained as in botocore's sagemaker model.

internal static class AutoMLPatterns
{
    public const string JobName = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}";

    public const string S3Uri = @"(https|s3)://([^/]+)/?(.*)";

    public const string MetricEnum = "Accuracy|MSE|F1|F1macro|AUC|RMSE|BalancedAccuracy|R2|Recall|RecallMacro|Precision|PrecisionMacro|MAE|MAPE|MASE|WAPE|AverageWeightedQuantileLoss";
}

internal sealed record AutoMLS3DataSource
{
    [AwsRequired, AwsEnum("ManifestFile", "S3Prefix", "AugmentedManifestFile")]
    public string? S3DataType { get; init; }

    [AwsRequired, AwsLength(0, 1024), AwsPattern(AutoMLPatterns.S3Uri)]
    public string? S3Uri { get; init; }
}

internal sealed record AutoMLDataSource
{
    [AwsRequired]
    public AutoMLS3DataSource? S3DataSource { get; init; }
}

/// <summary>A v1 input channel: the data and, on each channel, the target column.</summary>
internal sealed record AutoMLChannel
{
    public AutoMLDataSource? DataSource { get; init; }

    [AwsEnum("None", "Gzip")]
    public string? CompressionType { get; init; }

    [AwsRequired, AwsLength(1, int.MaxValue)]
    public string? TargetAttributeName { get; init; }

    [AwsLength(0, 256)]
    public string? ContentType { get; init; }

    [AwsEnum("training", "validation")]
    public string? ChannelType { get; init; }

    [AwsLength(1, 256)]
    public string? SampleWeightAttributeName { get; init; }
}

/// <summary>A v2 input channel: the data only; the target is in the problem type config.</summary>
internal sealed record AutoMLJobChannel
{
    [AwsEnum("training", "validation")]
    public string? ChannelType { get; init; }

    [AwsLength(0, 256)]
    public string? ContentType { get; init; }

    [AwsEnum("None", "Gzip")]
    public string? CompressionType { get; init; }

    public AutoMLDataSource? DataSource { get; init; }
}

internal sealed record AutoMLOutputDataConfig
{
    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }

    [AwsRequired, AwsLength(0, 1024), AwsPattern(AutoMLPatterns.S3Uri)]
    public string? S3OutputPath { get; init; }
}

internal sealed record AutoMLJobObjective
{
    [AwsRequired, AwsEnum("Accuracy", "MSE", "F1", "F1macro", "AUC", "RMSE", "BalancedAccuracy", "R2", "Recall", "RecallMacro", "Precision", "PrecisionMacro", "MAE", "MAPE", "MASE", "WAPE", "AverageWeightedQuantileLoss")]
    public string? MetricName { get; init; }
}

internal sealed record AutoMLJobCompletionCriteria
{
    [AwsRange(1, 750)]
    public int? MaxCandidates { get; init; }

    [AwsRange(1)]
    public int? MaxRuntimePerTrainingJobInSeconds { get; init; }

    [AwsRange(1)]
    public int? MaxAutoMLJobRuntimeInSeconds { get; init; }
}

internal sealed record AutoMLDataSplitConfig
{
    public double? ValidationFraction { get; init; }
}

internal sealed record AutoMLAlgorithmConfig
{
    [AwsRequired]
    public List<string>? AutoMLAlgorithms { get; init; }
}

internal sealed record CandidateGenerationConfig
{
    [AwsLength(0, 1)]
    public List<AutoMLAlgorithmConfig>? AlgorithmsConfig { get; init; }
}

internal sealed record AutoMLCandidateGenerationConfig
{
    [AwsLength(0, 1024), AwsPattern(AutoMLPatterns.S3Uri)]
    public string? FeatureSpecificationS3Uri { get; init; }

    [AwsLength(0, 1)]
    public List<AutoMLAlgorithmConfig>? AlgorithmsConfig { get; init; }
}

internal sealed record AutoMLJobConfig
{
    public AutoMLJobCompletionCriteria? CompletionCriteria { get; init; }

    public AutoMLCandidateGenerationConfig? CandidateGenerationConfig { get; init; }

    public AutoMLDataSplitConfig? DataSplitConfig { get; init; }

    [AwsEnum("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")]
    public string? Mode { get; init; }
}

internal sealed record TabularJobConfig
{
    public CandidateGenerationConfig? CandidateGenerationConfig { get; init; }

    public AutoMLJobCompletionCriteria? CompletionCriteria { get; init; }

    [AwsLength(0, 1024), AwsPattern(AutoMLPatterns.S3Uri)]
    public string? FeatureSpecificationS3Uri { get; init; }

    [AwsEnum("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")]
    public string? Mode { get; init; }

    public bool? GenerateCandidateDefinitionsOnly { get; init; }

    [AwsEnum("BinaryClassification", "MulticlassClassification", "Regression")]
    public string? ProblemType { get; init; }

    [AwsRequired, AwsLength(1, int.MaxValue)]
    public string? TargetAttributeName { get; init; }

    [AwsLength(1, 256)]
    public string? SampleWeightAttributeName { get; init; }
}

internal sealed record TextClassificationJobConfig
{
    public AutoMLJobCompletionCriteria? CompletionCriteria { get; init; }

    [AwsRequired, AwsLength(1, 256)]
    public string? ContentColumn { get; init; }

    [AwsRequired, AwsLength(1, 256)]
    public string? TargetLabelColumn { get; init; }
}

/// <summary>Kiln serves tabular and text classification; the other problem types are refused with a clear message.</summary>
internal sealed record AutoMLProblemTypeConfig
{
    public TabularJobConfig? TabularJobConfig { get; init; }

    public TextClassificationJobConfig? TextClassificationJobConfig { get; init; }

    public System.Text.Json.JsonElement? ImageClassificationJobConfig { get; init; }

    public System.Text.Json.JsonElement? TimeSeriesForecastingJobConfig { get; init; }

    public System.Text.Json.JsonElement? TextGenerationJobConfig { get; init; }
}

internal sealed record ModelDeployConfig
{
    public bool? AutoGenerateEndpointName { get; init; }

    [AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointName { get; init; }
}

internal sealed record CreateAutoMLJobV2Request
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(AutoMLPatterns.JobName)]
    public string? AutoMLJobName { get; init; }

    [AwsRequired, AwsLength(1, 2)]
    public List<AutoMLJobChannel>? AutoMLJobInputDataConfig { get; init; }

    [AwsRequired]
    public AutoMLOutputDataConfig? OutputDataConfig { get; init; }

    [AwsRequired]
    public AutoMLProblemTypeConfig? AutoMLProblemTypeConfig { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public System.Text.Json.JsonElement? SecurityConfig { get; init; }

    public AutoMLJobObjective? AutoMLJobObjective { get; init; }

    public ModelDeployConfig? ModelDeployConfig { get; init; }

    public AutoMLDataSplitConfig? DataSplitConfig { get; init; }

    public System.Text.Json.JsonElement? AutoMLComputeConfig { get; init; }
}

internal sealed record CreateAutoMLJobRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(AutoMLPatterns.JobName)]
    public string? AutoMLJobName { get; init; }

    [AwsRequired, AwsLength(1, 2)]
    public List<AutoMLChannel>? InputDataConfig { get; init; }

    [AwsRequired]
    public AutoMLOutputDataConfig? OutputDataConfig { get; init; }

    [AwsEnum("BinaryClassification", "MulticlassClassification", "Regression")]
    public string? ProblemType { get; init; }

    public AutoMLJobObjective? AutoMLJobObjective { get; init; }

    public AutoMLJobConfig? AutoMLJobConfig { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    public bool? GenerateCandidateDefinitionsOnly { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public ModelDeployConfig? ModelDeployConfig { get; init; }
}

internal sealed record CreateAutoMLJobResponse(string AutoMLJobArn);

internal sealed record AutoMLJobNameRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(AutoMLPatterns.JobName)]
    public string? AutoMLJobName { get; init; }
}

internal sealed record FinalAutoMLJobObjectiveMetric(string? Type, string MetricName, double Value, string? StandardMetricName);

internal sealed record AutoMLCandidateStep(string CandidateStepType, string CandidateStepArn, string CandidateStepName);

internal sealed record AutoMLContainerDefinition(string Image, string ModelDataUrl, Dictionary<string, string>? Environment);

internal sealed record CandidateArtifactLocations(string Explainability, string? ModelInsights);

internal sealed record MetricDatum(string? MetricName, string? StandardMetricName, double Value, string Set);

internal sealed record CandidateProperties(CandidateArtifactLocations? CandidateArtifactLocations, List<MetricDatum>? CandidateMetrics);

internal sealed record AutoMLCandidate
{
    public required string CandidateName { get; init; }

    public FinalAutoMLJobObjectiveMetric? FinalAutoMLJobObjectiveMetric { get; init; }

    public required string ObjectiveStatus { get; init; }

    public required List<AutoMLCandidateStep> CandidateSteps { get; init; }

    public required string CandidateStatus { get; init; }

    public List<AutoMLContainerDefinition>? InferenceContainers { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public string? FailureReason { get; init; }

    public CandidateProperties? CandidateProperties { get; init; }
}

internal sealed record AutoMLJobArtifacts(string? CandidateDefinitionNotebookLocation, string? DataExplorationNotebookLocation);

internal sealed record AutoMLPartialFailureReason(string PartialFailureMessage);

internal sealed record ModelDeployResult(string? EndpointName);

internal sealed record TabularResolvedAttributes(string? ProblemType);

internal sealed record AutoMLProblemTypeResolvedAttributes(TabularResolvedAttributes? TabularResolvedAttributes);

internal sealed record AutoMLResolvedAttributes(AutoMLJobObjective? AutoMLJobObjective, AutoMLJobCompletionCriteria? CompletionCriteria, AutoMLProblemTypeResolvedAttributes? AutoMLProblemTypeResolvedAttributes);

internal sealed record ResolvedAttributes(AutoMLJobObjective? AutoMLJobObjective, string? ProblemType, AutoMLJobCompletionCriteria? CompletionCriteria);

internal sealed record DescribeAutoMLJobV2Response
{
    public required string AutoMLJobName { get; init; }

    public required string AutoMLJobArn { get; init; }

    public required List<AutoMLJobChannel> AutoMLJobInputDataConfig { get; init; }

    public required AutoMLOutputDataConfig OutputDataConfig { get; init; }

    public required string RoleArn { get; init; }

    public AutoMLJobObjective? AutoMLJobObjective { get; init; }

    public AutoMLProblemTypeConfig? AutoMLProblemTypeConfig { get; init; }

    public string? AutoMLProblemTypeConfigName { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public string? FailureReason { get; init; }

    public List<AutoMLPartialFailureReason>? PartialFailureReasons { get; init; }

    public AutoMLCandidate? BestCandidate { get; init; }

    public required string AutoMLJobStatus { get; init; }

    public required string AutoMLJobSecondaryStatus { get; init; }

    public AutoMLJobArtifacts? AutoMLJobArtifacts { get; init; }

    public AutoMLResolvedAttributes? ResolvedAttributes { get; init; }

    public ModelDeployConfig? ModelDeployConfig { get; init; }

    public ModelDeployResult? ModelDeployResult { get; init; }

    public AutoMLDataSplitConfig? DataSplitConfig { get; init; }
}

internal sealed record DescribeAutoMLJobResponse
{
    public required string AutoMLJobName { get; init; }

    public required string AutoMLJobArn { get; init; }

    public required List<AutoMLChannel> InputDataConfig { get; init; }

    public required AutoMLOutputDataConfig OutputDataConfig { get; init; }

    public required string RoleArn { get; init; }

    public AutoMLJobObjective? AutoMLJobObjective { get; init; }

    public string? ProblemType { get; init; }

    public AutoMLJobConfig? AutoMLJobConfig { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public string? FailureReason { get; init; }

    public List<AutoMLPartialFailureReason>? PartialFailureReasons { get; init; }

    public AutoMLCandidate? BestCandidate { get; init; }

    public required string AutoMLJobStatus { get; init; }

    public required string AutoMLJobSecondaryStatus { get; init; }

    public bool? GenerateCandidateDefinitionsOnly { get; init; }

    public AutoMLJobArtifacts? AutoMLJobArtifacts { get; init; }

    public ResolvedAttributes? ResolvedAttributes { get; init; }

    public ModelDeployConfig? ModelDeployConfig { get; init; }

    public ModelDeployResult? ModelDeployResult { get; init; }
}

internal sealed record ListAutoMLJobsRequest : JobListRequestShape, IJobListRequest
{
    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("Completed", "InProgress", "Failed", "Stopped", "Stopping")]
    public string? StatusEquals { get; init; }

    [AwsEnum("Name", "CreationTime", "Status")]
    public string? SortBy { get; init; }
}

internal sealed record AutoMLJobSummary(
    string AutoMLJobName,
    string AutoMLJobArn,
    string AutoMLJobStatus,
    string AutoMLJobSecondaryStatus,
    DateTimeOffset CreationTime,
    DateTimeOffset? EndTime,
    DateTimeOffset LastModifiedTime,
    string? FailureReason,
    List<AutoMLPartialFailureReason>? PartialFailureReasons);

internal sealed record ListAutoMLJobsResponse(List<AutoMLJobSummary> AutoMLJobSummaries, string? NextToken);

internal sealed record ListCandidatesForAutoMLJobRequest
{
    [AwsRequired, AwsLength(1, 32), AwsPattern(AutoMLPatterns.JobName)]
    public string? AutoMLJobName { get; init; }

    [AwsEnum("Completed", "InProgress", "Failed", "Stopped", "Stopping")]
    public string? StatusEquals { get; init; }

    [AwsLength(1, 64)]
    public string? CandidateNameEquals { get; init; }

    [AwsEnum("Ascending", "Descending")]
    public string? SortOrder { get; init; }

    [AwsEnum("CreationTime", "Status", "FinalObjectiveMetricValue")]
    public string? SortBy { get; init; }

    [AwsRange(1, 300)]
    public int? MaxResults { get; init; }

    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }
}

internal sealed record ListCandidatesForAutoMLJobResponse(List<AutoMLCandidate> Candidates, string? NextToken);
