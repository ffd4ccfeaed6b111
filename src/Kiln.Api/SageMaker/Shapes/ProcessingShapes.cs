using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal sealed record ProcessingS3Input
{
    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3Uri { get; init; }

    [AwsLength(0, 256)]
    public string? LocalPath { get; init; }

    [AwsRequired, AwsEnum("ManifestFile", "S3Prefix")]
    public string? S3DataType { get; init; }

    [AwsEnum("Pipe", "File")]
    public string? S3InputMode { get; init; }

    [AwsEnum("FullyReplicated", "ShardedByS3Key")]
    public string? S3DataDistributionType { get; init; }

    [AwsEnum("None", "Gzip")]
    public string? S3CompressionType { get; init; }
}

internal sealed record ProcessingInput
{
    [AwsRequired]
    public string? InputName { get; init; }

    public bool? AppManaged { get; init; }

    public ProcessingS3Input? S3Input { get; init; }
}

internal sealed record ProcessingS3Output
{
    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3Uri { get; init; }

    [AwsLength(0, 256)]
    public string? LocalPath { get; init; }

    [AwsRequired, AwsEnum("Continuous", "EndOfJob")]
    public string? S3UploadMode { get; init; }
}

internal sealed record ProcessingOutput
{
    [AwsRequired]
    public string? OutputName { get; init; }

    public ProcessingS3Output? S3Output { get; init; }

    public bool? AppManaged { get; init; }
}

internal sealed record ProcessingOutputConfig
{
    [AwsRequired, AwsLength(0, 10)]
    public List<ProcessingOutput>? Outputs { get; init; }

    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }
}

internal sealed record ProcessingClusterConfig
{
    [AwsRequired, AwsRange(1, 100)]
    public int? InstanceCount { get; init; }

    [AwsRequired]
    public string? InstanceType { get; init; }

    [AwsRequired, AwsRange(1, 16384)]
    public int? VolumeSizeInGB { get; init; }

    [AwsLength(0, 2048)]
    public string? VolumeKmsKeyId { get; init; }
}

internal sealed record ProcessingResources
{
    [AwsRequired]
    public ProcessingClusterConfig? ClusterConfig { get; init; }
}

internal sealed record ProcessingStoppingCondition
{
    [AwsRequired, AwsRange(1, 777600)]
    public int? MaxRuntimeInSeconds { get; init; }
}

internal sealed record AppSpecification
{
    [AwsRequired, AwsLength(0, 255)]
    public string? ImageUri { get; init; }

    [AwsLength(1, 100)]
    public List<string>? ContainerEntrypoint { get; init; }

    [AwsLength(1, 100)]
    public List<string>? ContainerArguments { get; init; }
}

internal sealed record CreateProcessingJobRequest
{
    [AwsLength(0, 10)]
    public List<ProcessingInput>? ProcessingInputs { get; init; }

    public ProcessingOutputConfig? ProcessingOutputConfig { get; init; }

    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? ProcessingJobName { get; init; }

    [AwsRequired]
    public ProcessingResources? ProcessingResources { get; init; }

    public ProcessingStoppingCondition? StoppingCondition { get; init; }

    [AwsRequired]
    public AppSpecification? AppSpecification { get; init; }

    [AwsLength(0, 100), AwsMap(256, 256)]
    public Dictionary<string, string>? Environment { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public ExperimentConfig? ExperimentConfig { get; init; }

    public System.Text.Json.JsonElement? NetworkConfig { get; init; }
}

internal sealed record CreateProcessingJobResponse(string ProcessingJobArn);

internal sealed record ProcessingJobNameRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? ProcessingJobName { get; init; }
}

internal sealed record DescribeProcessingJobResponse
{
    public List<ProcessingInput>? ProcessingInputs { get; init; }

    public ProcessingOutputConfig? ProcessingOutputConfig { get; init; }

    public required string ProcessingJobName { get; init; }

    public required ProcessingResources ProcessingResources { get; init; }

    public ProcessingStoppingCondition? StoppingCondition { get; init; }

    public required AppSpecification AppSpecification { get; init; }

    public Dictionary<string, string>? Environment { get; init; }

    public string? RoleArn { get; init; }

    public required string ProcessingJobArn { get; init; }

    public required string ProcessingJobStatus { get; init; }

    public string? ExitMessage { get; init; }

    public string? FailureReason { get; init; }

    public DateTimeOffset? ProcessingEndTime { get; init; }

    public DateTimeOffset? ProcessingStartTime { get; init; }

    public DateTimeOffset? LastModifiedTime { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public System.Text.Json.JsonElement? NetworkConfig { get; init; }
}

internal sealed record ListProcessingJobsRequest : JobListRequestShape, IJobListRequest
{
    public string? NameContains { get; init; }

    [AwsEnum("InProgress", "Completed", "Failed", "Stopping", "Stopped")]
    public string? StatusEquals { get; init; }

    [AwsEnum("Name", "CreationTime", "Status")]
    public string? SortBy { get; init; }
}

internal sealed record ProcessingJobSummary(
    string ProcessingJobName,
    string ProcessingJobArn,
    DateTimeOffset CreationTime,
    DateTimeOffset? ProcessingEndTime,
    DateTimeOffset? LastModifiedTime,
    string ProcessingJobStatus,
    string? FailureReason,
    string? ExitMessage);

internal sealed record ListProcessingJobsResponse(List<ProcessingJobSummary> ProcessingJobSummaries, string? NextToken);
