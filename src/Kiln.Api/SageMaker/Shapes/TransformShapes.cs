using Kiln.Api.SageMaker.Validation;
using Kiln.Core.Transform;

namespace Kiln.Api.SageMaker.Shapes;

internal sealed record TransformS3DataSource
{
    [AwsRequired, AwsEnum("ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse")]
    public string? S3DataType { get; init; }

    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3Uri { get; init; }
}

internal sealed record TransformDataSource
{
    [AwsRequired]
    public TransformS3DataSource? S3DataSource { get; init; }
}

internal sealed record TransformInput
{
    [AwsRequired]
    public TransformDataSource? DataSource { get; init; }

    [AwsLength(0, 256)]
    public string? ContentType { get; init; }

    [AwsEnum("None", "Gzip")]
    public string? CompressionType { get; init; }

    [AwsEnum("None", "Line", "RecordIO", "TFRecord")]
    public string? SplitType { get; init; }
}

internal sealed record TransformOutput
{
    [AwsRequired, AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? S3OutputPath { get; init; }

    [AwsLength(0, 256)]
    public string? Accept { get; init; }

    [AwsEnum("None", "Line")]
    public string? AssembleWith { get; init; }

    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }
}

internal sealed record TransformResources
{
    [AwsRequired]
    public string? InstanceType { get; init; }

    [AwsRequired, AwsRange(1)]
    public int? InstanceCount { get; init; }
}

internal sealed record DataProcessing
{
    [AwsLength(0, 63)]
    public string? InputFilter { get; init; }

    [AwsLength(0, 63)]
    public string? OutputFilter { get; init; }

    [AwsEnum("Input", "None")]
    public string? JoinSource { get; init; }
}

internal sealed record ModelClientConfig
{
    [AwsRange(1, 3600)]
    public int? InvocationsTimeoutInSeconds { get; init; }

    [AwsRange(0, 3)]
    public int? InvocationsMaxRetries { get; init; }
}

internal sealed record CreateTransformJobRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? TransformJobName { get; init; }

    [AwsRequired, AwsLength(0, 63), AwsPattern(ServingPatterns.ModelName)]
    public string? ModelName { get; init; }

    [AwsRange(0)]
    public int? MaxConcurrentTransforms { get; init; }

    public ModelClientConfig? ModelClientConfig { get; init; }

    [AwsRange(0)]
    public int? MaxPayloadInMB { get; init; }

    [AwsEnum("MultiRecord", "SingleRecord")]
    public string? BatchStrategy { get; init; }

    [AwsLength(0, 16), AwsMap(1024, 10240)]
    public Dictionary<string, string>? Environment { get; init; }

    [AwsRequired]
    public TransformInput? TransformInput { get; init; }

    [AwsRequired]
    public TransformOutput? TransformOutput { get; init; }

    [AwsRequired]
    public TransformResources? TransformResources { get; init; }

    public DataProcessing? DataProcessing { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public ExperimentConfig? ExperimentConfig { get; init; }

    public BatchDataCaptureConfig? DataCaptureConfig { get; init; }
}

internal sealed record BatchDataCaptureConfig
{
    [AwsRequired, AwsLength(0, 512), AwsPattern(@"(https|s3)://([^/])/?(.*)")]
    public string? DestinationS3Uri { get; init; }

    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }

    public bool? GenerateInferenceId { get; init; }
}

internal sealed record CreateTransformJobResponse(string TransformJobArn);

internal sealed record TransformJobNameRequest
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? TransformJobName { get; init; }
}

internal sealed record DescribeTransformJobResponse
{
    public required string TransformJobName { get; init; }

    public required string TransformJobArn { get; init; }

    public required string TransformJobStatus { get; init; }

    public string? FailureReason { get; init; }

    public required string ModelName { get; init; }

    public int? MaxConcurrentTransforms { get; init; }

    public int? MaxPayloadInMB { get; init; }

    public string? BatchStrategy { get; init; }

    public Dictionary<string, string>? Environment { get; init; }

    public required TransformInput TransformInput { get; init; }

    public TransformOutput? TransformOutput { get; init; }

    public required TransformResources TransformResources { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? TransformStartTime { get; init; }

    public DateTimeOffset? TransformEndTime { get; init; }

    public DataProcessing? DataProcessing { get; init; }

    public BatchDataCaptureConfig? DataCaptureConfig { get; init; }
}

internal sealed record ListTransformJobsRequest : JobListRequestShape, IJobListRequest
{
    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("InProgress", "Completed", "Failed", "Stopping", "Stopped")]
    public string? StatusEquals { get; init; }

    [AwsEnum("Name", "CreationTime", "Status")]
    public string? SortBy { get; init; }
}

internal sealed record TransformJobSummary(
    string TransformJobName,
    string TransformJobArn,
    DateTimeOffset CreationTime,
    DateTimeOffset? TransformEndTime,
    DateTimeOffset? LastModifiedTime,
    string TransformJobStatus,
    string? FailureReason);

internal sealed record ListTransformJobsResponse(List<TransformJobSummary> TransformJobSummaries, string? NextToken);
