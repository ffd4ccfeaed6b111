using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal sealed record CreateTrainingJobRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? TrainingJobName { get; init; }

    [AwsLength(0, 100), AwsMap(256, 2500)]
    public Dictionary<string, string>? HyperParameters { get; init; }

    public AlgorithmSpecification? AlgorithmSpecification { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    [AwsLength(1, 20)]
    public List<Channel>? InputDataConfig { get; init; }

    [AwsRequired]
    public OutputDataConfig? OutputDataConfig { get; init; }

    public ResourceConfig? ResourceConfig { get; init; }

    public StoppingCondition? StoppingCondition { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public bool? EnableNetworkIsolation { get; init; }

    public bool? EnableInterContainerTrafficEncryption { get; init; }

    public bool? EnableManagedSpotTraining { get; init; }

    public CheckpointConfig? CheckpointConfig { get; init; }

    public ExperimentConfig? ExperimentConfig { get; init; }

    [AwsLength(0, 100), AwsMap(512, 512)]
    public Dictionary<string, string>? Environment { get; init; }

    public RetryStrategy? RetryStrategy { get; init; }

    // Kept as sent and echoed; Kiln does not act on them (see TrainingSettingsNotActedOn).
    public System.Text.Json.JsonElement? DebugHookConfig { get; init; }

    public System.Text.Json.JsonElement? DebugRuleConfigurations { get; init; }

    public System.Text.Json.JsonElement? ProfilerConfig { get; init; }

    public System.Text.Json.JsonElement? ProfilerRuleConfigurations { get; init; }

    public System.Text.Json.JsonElement? TensorBoardOutputConfig { get; init; }
}

internal sealed record AlgorithmSpecification
{
    [AwsLength(0, 255)]
    public string? TrainingImage { get; init; }

    [AwsLength(1, 170)]
    public string? AlgorithmName { get; init; }

    [AwsRequired, AwsEnum("Pipe", "File", "FastFile")]
    public string? TrainingInputMode { get; init; }

    [AwsLength(0, 40)]
    public List<MetricDefinition>? MetricDefinitions { get; init; }

    public bool? EnableSageMakerMetricsTimeSeries { get; init; }

    [AwsLength(1, 100)]
    public List<string>? ContainerEntrypoint { get; init; }

    [AwsLength(1, 100)]
    public List<string>? ContainerArguments { get; init; }
}

internal sealed record Channel
{
    [AwsRequired, AwsLength(1, 64), AwsPattern(@"[A-Za-z0-9\.\-_]+")]
    public string? ChannelName { get; init; }

    [AwsRequired]
    public DataSource? DataSource { get; init; }

    [AwsLength(0, 256)]
    public string? ContentType { get; init; }

    [AwsEnum("None", "Gzip")]
    public string? CompressionType { get; init; }

    [AwsEnum("None", "RecordIO")]
    public string? RecordWrapperType { get; init; }

    [AwsEnum("Pipe", "File", "FastFile")]
    public string? InputMode { get; init; }

    public ShuffleConfig? ShuffleConfig { get; init; }
}

internal sealed record DataSource
{
    public S3DataSource? S3DataSource { get; init; }

    public FileSystemDataSource? FileSystemDataSource { get; init; }
}

internal sealed record S3DataSource
{
    [AwsRequired, AwsEnum("ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse")]
    public string? S3DataType { get; init; }

    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3Uri { get; init; }

    [AwsEnum("FullyReplicated", "ShardedByS3Key")]
    public string? S3DataDistributionType { get; init; }

    [AwsLength(0, 16)]
    public List<string>? AttributeNames { get; init; }
}

internal sealed record FileSystemDataSource
{
    [AwsRequired, AwsLength(11, 21), AwsPattern(@"(fs-[0-9a-f]{8,})")]
    public string? FileSystemId { get; init; }

    [AwsRequired, AwsEnum("rw", "ro")]
    public string? FileSystemAccessMode { get; init; }

    [AwsRequired, AwsEnum("EFS", "FSxLustre")]
    public string? FileSystemType { get; init; }

    [AwsRequired, AwsLength(0, 4096)]
    public string? DirectoryPath { get; init; }
}

internal sealed record ShuffleConfig
{
    [AwsRequired]
    public long? Seed { get; init; }
}

internal sealed record OutputDataConfig
{
    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }

    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3OutputPath { get; init; }

    [AwsEnum("GZIP", "NONE")]
    public string? CompressionType { get; init; }
}

internal sealed record ResourceConfig
{
    public string? InstanceType { get; init; }

    [AwsRange(0)]
    public int? InstanceCount { get; init; }

    [AwsRange(0)]
    public int? VolumeSizeInGB { get; init; }

    [AwsRange(0, 21600)]
    public int? KeepAlivePeriodInSeconds { get; init; }
}

internal sealed record StoppingCondition
{
    [AwsRange(1)]
    public int? MaxRuntimeInSeconds { get; init; }

    [AwsRange(1)]
    public int? MaxWaitTimeInSeconds { get; init; }

    [AwsRange(7200, 2419200)]
    public int? MaxPendingTimeInSeconds { get; init; }
}

internal sealed record CheckpointConfig
{
    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3Uri { get; init; }

    [AwsLength(0, 4096)]
    public string? LocalPath { get; init; }
}

internal sealed record RetryStrategy
{
    [AwsRequired, AwsRange(1, 30)]
    public int? MaximumRetryAttempts { get; init; }
}

internal sealed record CreateTrainingJobResponse(string TrainingJobArn);

internal sealed record DescribeTrainingJobRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? TrainingJobName { get; init; }
}

internal sealed record StopTrainingJobRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? TrainingJobName { get; init; }
}

internal sealed record ModelArtifacts(string S3ModelArtifacts);

internal sealed record SecondaryStatusTransition(string Status, DateTimeOffset StartTime, DateTimeOffset? EndTime, string? StatusMessage);

internal sealed record DescribeTrainingJobResponse
{
    public required string TrainingJobName { get; init; }

    public required string TrainingJobArn { get; init; }

    public required ModelArtifacts ModelArtifacts { get; init; }

    public required string TrainingJobStatus { get; init; }

    public required string SecondaryStatus { get; init; }

    public string? FailureReason { get; init; }

    public Dictionary<string, string>? HyperParameters { get; init; }

    public AlgorithmSpecification? AlgorithmSpecification { get; init; }

    public string? RoleArn { get; init; }

    public List<Channel>? InputDataConfig { get; init; }

    public OutputDataConfig? OutputDataConfig { get; init; }

    public ResourceConfig? ResourceConfig { get; init; }

    public required StoppingCondition StoppingCondition { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? TrainingStartTime { get; init; }

    public DateTimeOffset? TrainingEndTime { get; init; }

    public DateTimeOffset? LastModifiedTime { get; init; }

    public List<SecondaryStatusTransition>? SecondaryStatusTransitions { get; init; }

    public List<MetricData>? FinalMetricDataList { get; init; }

    public bool? EnableNetworkIsolation { get; init; }

    public bool? EnableInterContainerTrafficEncryption { get; init; }

    public bool? EnableManagedSpotTraining { get; init; }

    public int? TrainingTimeInSeconds { get; init; }

    public int? BillableTimeInSeconds { get; init; }

    public ExperimentConfig? ExperimentConfig { get; init; }

    public Dictionary<string, string>? Environment { get; init; }

    public CheckpointConfig? CheckpointConfig { get; init; }

    public RetryStrategy? RetryStrategy { get; init; }

    public System.Text.Json.JsonElement? DebugHookConfig { get; init; }

    public System.Text.Json.JsonElement? DebugRuleConfigurations { get; init; }

    public System.Text.Json.JsonElement? ProfilerConfig { get; init; }

    public System.Text.Json.JsonElement? ProfilerRuleConfigurations { get; init; }

    public System.Text.Json.JsonElement? TensorBoardOutputConfig { get; init; }
}

internal sealed record ListTrainingJobsRequest
{
    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }

    [AwsRange(1, 100)]
    public int? MaxResults { get; init; }

    public DateTimeOffset? CreationTimeAfter { get; init; }

    public DateTimeOffset? CreationTimeBefore { get; init; }

    public DateTimeOffset? LastModifiedTimeAfter { get; init; }

    public DateTimeOffset? LastModifiedTimeBefore { get; init; }

    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")]
    public string? StatusEquals { get; init; }

    [AwsEnum("Name", "CreationTime", "Status")]
    public string? SortBy { get; init; }

    [AwsEnum("Ascending", "Descending")]
    public string? SortOrder { get; init; }
}

internal sealed record TrainingJobSummary(
    string TrainingJobName,
    string TrainingJobArn,
    DateTimeOffset CreationTime,
    DateTimeOffset? TrainingEndTime,
    DateTimeOffset? LastModifiedTime,
    string TrainingJobStatus,
    string SecondaryStatus);

internal sealed record ListTrainingJobsResponse(List<TrainingJobSummary> TrainingJobSummaries, string? NextToken);
