using Kiln.Api.SageMaker.Validation;
using Kiln.Core.Transform;

namespace Kiln.Api.SageMaker.Shapes;

internal static class PipelinePatterns
{
    public const string Name = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}";

    public const string NameOrArn = @"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:([0-9]{12}|aws):pipeline/.*)?([a-zA-Z0-9](-*[a-zA-Z0-9]){0,255})";

    public const string ExecutionArn = @"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:pipeline\/.*\/execution\/.*";

    public const string ExecutionName = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}";
}

internal sealed record PipelineDefinitionS3Location
{
    [AwsRequired]
    public string? Bucket { get; init; }

    [AwsRequired]
    public string? ObjectKey { get; init; }

    public string? VersionId { get; init; }
}

internal sealed record CreatePipelineRequest
{
    [AwsRequired, AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineName { get; init; }

    [AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineDisplayName { get; init; }

    [AwsLength(1, 1048576)]
    public string? PipelineDefinition { get; init; }

    public PipelineDefinitionS3Location? PipelineDefinitionS3Location { get; init; }

    [AwsLength(0, 3072)]
    public string? PipelineDescription { get; init; }

    [AwsRequired, AwsLength(32, 128)]
    public string? ClientRequestToken { get; init; }

    [AwsRequired, AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record PipelineArnResponse(string PipelineArn);

internal sealed record UpdatePipelineRequest
{
    [AwsRequired, AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineName { get; init; }

    [AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineDisplayName { get; init; }

    [AwsLength(1, 1048576)]
    public string? PipelineDefinition { get; init; }

    public PipelineDefinitionS3Location? PipelineDefinitionS3Location { get; init; }

    [AwsLength(0, 3072)]
    public string? PipelineDescription { get; init; }

    [AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? RoleArn { get; init; }
}

internal sealed record DescribePipelineRequest
{
    [AwsRequired, AwsLength(1, 2048), AwsPattern(PipelinePatterns.NameOrArn)]
    public string? PipelineName { get; init; }

    public long? PipelineVersionId { get; init; }
}

internal sealed record DescribePipelineResponse
{
    public required string PipelineArn { get; init; }

    public required string PipelineName { get; init; }

    public string? PipelineDisplayName { get; init; }

    public required string PipelineDefinition { get; init; }

    public string? PipelineDescription { get; init; }

    public string? RoleArn { get; init; }

    public required string PipelineStatus { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public DateTimeOffset? LastRunTime { get; init; }

    public UserContext? CreatedBy { get; init; }

    public UserContext? LastModifiedBy { get; init; }
}

internal sealed record DeletePipelineRequest
{
    [AwsRequired, AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineName { get; init; }

    [AwsRequired, AwsLength(32, 128)]
    public string? ClientRequestToken { get; init; }
}

internal sealed record ListPipelinesRequest : PagedRequest
{
    [AwsLength(1, 256), AwsPattern(PipelinePatterns.Name)]
    public string? PipelineNamePrefix { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record PipelineSummary(string PipelineArn, string PipelineName, string? PipelineDisplayName, string? PipelineDescription, string? RoleArn, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime, DateTimeOffset? LastExecutionTime);

internal sealed record ListPipelinesResponse(List<PipelineSummary> PipelineSummaries, string? NextToken);

internal sealed record PipelineParameter
{
    [AwsRequired, AwsLength(1, 256), AwsPattern(@"[A-Za-z0-9\-_]*")]
    public string? Name { get; init; }

    [AwsRequired, AwsLength(0, 1024)]
    public string? Value { get; init; }
}

internal sealed record StartPipelineExecutionRequest
{
    [AwsRequired, AwsLength(1, 2048), AwsPattern(PipelinePatterns.NameOrArn)]
    public string? PipelineName { get; init; }

    [AwsLength(1, 82), AwsPattern(PipelinePatterns.ExecutionName)]
    public string? PipelineExecutionDisplayName { get; init; }

    [AwsLength(0, 200)]
    public List<PipelineParameter>? PipelineParameters { get; init; }

    [AwsLength(0, 3072)]
    public string? PipelineExecutionDescription { get; init; }

    [AwsRequired, AwsLength(32, 128)]
    public string? ClientRequestToken { get; init; }
}

internal sealed record PipelineExecutionArnResponse(string PipelineExecutionArn);

internal sealed record PipelineExecutionArnRequest
{
    [AwsRequired, AwsLength(0, 2048), AwsPattern(PipelinePatterns.ExecutionArn)]
    public string? PipelineExecutionArn { get; init; }
}

internal sealed record PipelineExecutionTokenRequest
{
    [AwsRequired, AwsLength(0, 2048), AwsPattern(PipelinePatterns.ExecutionArn)]
    public string? PipelineExecutionArn { get; init; }

    [AwsRequired, AwsLength(32, 128)]
    public string? ClientRequestToken { get; init; }
}

internal sealed record DescribePipelineExecutionResponse
{
    public required string PipelineArn { get; init; }

    public required string PipelineExecutionArn { get; init; }

    public string? PipelineExecutionDisplayName { get; init; }

    public required string PipelineExecutionStatus { get; init; }

    public string? PipelineExecutionDescription { get; init; }

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public UserContext? CreatedBy { get; init; }

    public UserContext? LastModifiedBy { get; init; }
}

internal sealed record ListPipelineExecutionsRequest : PagedRequest
{
    [AwsRequired, AwsLength(1, 2048), AwsPattern(PipelinePatterns.NameOrArn)]
    public string? PipelineName { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    [AwsEnum("CreationTime", "PipelineExecutionArn")]
    public string? SortBy { get; init; }
}

internal sealed record PipelineExecutionSummary(string PipelineExecutionArn, DateTimeOffset StartTime, string PipelineExecutionStatus, string? PipelineExecutionDescription, string? PipelineExecutionDisplayName, string? PipelineExecutionFailureReason);

internal sealed record ListPipelineExecutionsResponse(List<PipelineExecutionSummary> PipelineExecutionSummaries, string? NextToken);

internal sealed record ListPipelineExecutionStepsRequest : PagedRequest
{
    [AwsLength(0, 2048), AwsPattern(PipelinePatterns.ExecutionArn)]
    public string? PipelineExecutionArn { get; init; }
}

internal sealed record ArnMetadata(string Arn);

internal sealed record ConditionStepMetadata(string Outcome);

internal sealed record FailStepMetadata(string ErrorMessage);

internal sealed record PipelineExecutionStepMetadata
{
    public ArnMetadata? TrainingJob { get; init; }

    public ArnMetadata? ProcessingJob { get; init; }

    public ArnMetadata? TransformJob { get; init; }

    public ArnMetadata? TuningJob { get; init; }

    public ArnMetadata? Model { get; init; }

    public ArnMetadata? RegisterModel { get; init; }

    public ConditionStepMetadata? Condition { get; init; }

    public FailStepMetadata? Fail { get; init; }
}

internal sealed record CacheHitResult(string SourcePipelineExecutionArn);

internal sealed record PipelineExecutionStep
{
    public required string StepName { get; init; }

    public string? StepDisplayName { get; init; }

    public string? StepDescription { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required string StepStatus { get; init; }

    public CacheHitResult? CacheHitResult { get; init; }

    public string? FailureReason { get; init; }

    public PipelineExecutionStepMetadata? Metadata { get; init; }

    public int AttemptCount { get; init; }
}

internal sealed record ListPipelineExecutionStepsResponse(List<PipelineExecutionStep> PipelineExecutionSteps, string? NextToken);
