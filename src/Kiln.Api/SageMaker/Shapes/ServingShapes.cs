using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

// Models, endpoint configs and endpoints, as botocore's sagemaker model has them (the members Kiln reads or answers).

internal static class ServingPatterns
{
    public const string ModelName = @"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?";

    /// <summary>The model's Url pattern, widened to file:// because Kiln also serves local files.</summary>
    public const string ModelDataUrl = @"(https|s3|file)://([^/]*)/?(.*)";

    public const string VersionedArnOrName = @"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,9})?";

    public const string NameContains = @"[a-zA-Z0-9-]+";
}

internal sealed record ContainerDefinition
{
    [AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? ContainerHostname { get; init; }

    [AwsLength(0, 255), AwsPattern(@"[\S]+")]
    public string? Image { get; init; }

    [AwsEnum("SingleModel", "MultiModel")]
    public string? Mode { get; init; }

    [AwsLength(0, 1024), AwsPattern(ServingPatterns.ModelDataUrl)]
    public string? ModelDataUrl { get; init; }

    public ModelDataSource? ModelDataSource { get; init; }

    [AwsLength(0, 100), AwsMap(1024, 1024)]
    public Dictionary<string, string>? Environment { get; init; }

    [AwsLength(1, 176), AwsPattern(ServingPatterns.VersionedArnOrName)]
    public string? ModelPackageName { get; init; }
}

internal sealed record ModelDataSource
{
    public S3ModelDataSource? S3DataSource { get; init; }
}

internal sealed record S3ModelDataSource
{
    [AwsRequired, AwsLength(0, 1024), AwsPattern(ServingPatterns.ModelDataUrl)]
    public string? S3Uri { get; init; }

    [AwsRequired, AwsEnum("S3Prefix", "S3Object")]
    public string? S3DataType { get; init; }

    [AwsRequired, AwsEnum("None", "Gzip")]
    public string? CompressionType { get; init; }
}

internal sealed record CreateModelRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(ServingPatterns.ModelName)]
    public string? ModelName { get; init; }

    public ContainerDefinition? PrimaryContainer { get; init; }

    [AwsLength(0, 15)]
    public List<ContainerDefinition>? Containers { get; init; }

    [AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? ExecutionRoleArn { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    public bool? EnableNetworkIsolation { get; init; }
}

internal sealed record CreateModelResponse(string ModelArn);

internal sealed record ModelNameRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(ServingPatterns.ModelName)]
    public string? ModelName { get; init; }
}

internal sealed record DescribeModelResponse
{
    public required string ModelName { get; init; }

    public ContainerDefinition? PrimaryContainer { get; init; }

    public string? ExecutionRoleArn { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required string ModelArn { get; init; }

    public bool EnableNetworkIsolation { get; init; }
}

/// <summary>The filters, sort and paging every hosting List* operation shares.</summary>
internal record ServingListRequest
{
    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }

    [AwsRange(1, 100)]
    public int? MaxResults { get; init; }

    [AwsEnum("Ascending", "Descending")]
    public string? SortOrder { get; init; }

    [AwsLength(0, 63), AwsPattern(ServingPatterns.NameContains)]
    public string? NameContains { get; init; }

    public DateTimeOffset? CreationTimeBefore { get; init; }

    public DateTimeOffset? CreationTimeAfter { get; init; }
}

internal sealed record ListModelsRequest : ServingListRequest
{
    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record ModelSummary(string ModelName, string ModelArn, DateTimeOffset CreationTime);

internal sealed record ListModelsResponse(List<ModelSummary> Models, string? NextToken);

internal sealed record ProductionVariant
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? VariantName { get; init; }

    [AwsLength(0, 63), AwsPattern(ServingPatterns.ModelName)]
    public string? ModelName { get; init; }

    [AwsRange(1)]
    public int? InitialInstanceCount { get; init; }

    public string? InstanceType { get; init; }

    public double? InitialVariantWeight { get; init; }

    public ServerlessConfig? ServerlessConfig { get; init; }

    public VariantRoutingConfig? RoutingConfig { get; init; }
}

internal sealed record ServerlessConfig
{
    [AwsRequired, AwsRange(1024, 6144)]
    public int? MemorySizeInMB { get; init; }

    [AwsRequired, AwsRange(1, 200)]
    public int? MaxConcurrency { get; init; }

    [AwsRange(1, 200)]
    public int? ProvisionedConcurrency { get; init; }
}

internal sealed record VariantRoutingConfig
{
    [AwsRequired, AwsEnum("LEAST_OUTSTANDING_REQUESTS", "RANDOM")]
    public string? RoutingStrategy { get; init; }
}

internal sealed record DataCaptureConfig
{
    public bool? EnableCapture { get; init; }

    [AwsRequired, AwsRange(0, 100)]
    public int? InitialSamplingPercentage { get; init; }

    [AwsRequired, AwsLength(0, 512), AwsPattern(@"(https|s3)://([^/])/?(.*)")]
    public string? DestinationS3Uri { get; init; }

    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }

    [AwsRequired, AwsLength(1, 32)]
    public List<CaptureOption>? CaptureOptions { get; init; }

    public CaptureContentTypeHeader? CaptureContentTypeHeader { get; init; }
}

internal sealed record CaptureOption
{
    [AwsRequired, AwsEnum("Input", "Output", "InputAndOutput")]
    public string? CaptureMode { get; init; }
}

internal sealed record CaptureContentTypeHeader
{
    [AwsLength(1, 10)]
    public List<string>? CsvContentTypes { get; init; }

    [AwsLength(1, 10)]
    public List<string>? JsonContentTypes { get; init; }
}

internal sealed record CreateEndpointConfigRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointConfigName { get; init; }

    [AwsRequired, AwsLength(1, 10)]
    public List<ProductionVariant>? ProductionVariants { get; init; }

    public DataCaptureConfig? DataCaptureConfig { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    [AwsLength(0, 2048)]
    public string? KmsKeyId { get; init; }

    [AwsLength(1, 10)]
    public List<ProductionVariant>? ShadowProductionVariants { get; init; }

    [AwsLength(20, 2048), AwsPattern(Patterns.RoleArn)]
    public string? ExecutionRoleArn { get; init; }

    public Generated.ExplainerConfig? ExplainerConfig { get; init; }
}

internal sealed record CreateEndpointConfigResponse(string EndpointConfigArn);

internal sealed record EndpointConfigNameRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointConfigName { get; init; }
}

internal sealed record DescribeEndpointConfigResponse
{
    public required string EndpointConfigName { get; init; }

    public required string EndpointConfigArn { get; init; }

    public required List<ProductionVariant> ProductionVariants { get; init; }

    public DataCaptureConfig? DataCaptureConfig { get; init; }

    public List<ProductionVariant>? ShadowProductionVariants { get; init; }

    public Generated.ExplainerConfig? ExplainerConfig { get; init; }

    public required DateTimeOffset CreationTime { get; init; }
}

internal sealed record ListEndpointConfigsRequest : ServingListRequest
{
    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record EndpointConfigSummary(string EndpointConfigName, string EndpointConfigArn, DateTimeOffset CreationTime);

internal sealed record ListEndpointConfigsResponse(List<EndpointConfigSummary> EndpointConfigs, string? NextToken);

internal sealed record CapacitySize
{
    [AwsRequired, AwsEnum("INSTANCE_COUNT", "CAPACITY_PERCENT")]
    public string? Type { get; init; }

    [AwsRequired, AwsRange(1)]
    public int? Value { get; init; }
}

internal sealed record TrafficRoutingConfig
{
    [AwsRequired, AwsEnum("ALL_AT_ONCE", "CANARY", "LINEAR")]
    public string? Type { get; init; }

    [AwsRequired, AwsRange(0, 3600)]
    public int? WaitIntervalInSeconds { get; init; }

    public CapacitySize? CanarySize { get; init; }

    public CapacitySize? LinearStepSize { get; init; }
}

internal sealed record BlueGreenUpdatePolicy
{
    [AwsRequired]
    public TrafficRoutingConfig? TrafficRoutingConfiguration { get; init; }

    [AwsRange(0, 3600)]
    public int? TerminationWaitInSeconds { get; init; }

    [AwsRange(600, 28800)]
    public int? MaximumExecutionTimeoutInSeconds { get; init; }
}

internal sealed record Alarm
{
    [AwsLength(1, 255)]
    public string? AlarmName { get; init; }
}

internal sealed record AutoRollbackConfig
{
    [AwsLength(1, 10)]
    public List<Alarm>? Alarms { get; init; }
}

internal sealed record DeploymentConfig
{
    public BlueGreenUpdatePolicy? BlueGreenUpdatePolicy { get; init; }

    public AutoRollbackConfig? AutoRollbackConfiguration { get; init; }
}

internal sealed record CreateEndpointRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointName { get; init; }

    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointConfigName { get; init; }

    public DeploymentConfig? DeploymentConfig { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record EndpointArnResponse(string EndpointArn);

internal sealed record EndpointNameRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointName { get; init; }
}

internal sealed record DeployedImage(string? SpecifiedImage, string? ResolvedImage, DateTimeOffset? ResolutionTime);

internal sealed record ProductionVariantStatus(string Status, string? StatusMessage, DateTimeOffset? StartTime);

internal sealed record ProductionVariantSummary
{
    public required string VariantName { get; init; }

    public List<DeployedImage>? DeployedImages { get; init; }

    public double? CurrentWeight { get; init; }

    public double? DesiredWeight { get; init; }

    public int? CurrentInstanceCount { get; init; }

    public int? DesiredInstanceCount { get; init; }

    public string? InstanceType { get; init; }

    public List<ProductionVariantStatus>? VariantStatus { get; init; }
}

internal sealed record DataCaptureConfigSummary(bool EnableCapture, string CaptureStatus, int CurrentSamplingPercentage, string DestinationS3Uri, string KmsKeyId);

internal sealed record PendingDeploymentSummary
{
    public required string EndpointConfigName { get; init; }

    public List<ProductionVariantSummary>? ProductionVariants { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public List<ProductionVariantSummary>? ShadowProductionVariants { get; init; }
}

internal sealed record DescribeEndpointResponse
{
    public required string EndpointName { get; init; }

    public required string EndpointArn { get; init; }

    public string? EndpointConfigName { get; init; }

    public List<ProductionVariantSummary>? ProductionVariants { get; init; }

    public DataCaptureConfigSummary? DataCaptureConfig { get; init; }

    public required string EndpointStatus { get; init; }

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public DeploymentConfig? LastDeploymentConfig { get; init; }

    public PendingDeploymentSummary? PendingDeploymentSummary { get; init; }

    public List<ProductionVariantSummary>? ShadowProductionVariants { get; init; }
}

internal sealed record VariantProperty
{
    [AwsRequired, AwsEnum("DesiredInstanceCount", "DesiredWeight", "DataCaptureConfig")]
    public string? VariantPropertyType { get; init; }
}

internal sealed record UpdateEndpointRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointName { get; init; }

    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointConfigName { get; init; }

    public bool? RetainAllVariantProperties { get; init; }

    [AwsLength(0, 3)]
    public List<VariantProperty>? ExcludeRetainedVariantProperties { get; init; }

    public DeploymentConfig? DeploymentConfig { get; init; }

    public bool? RetainDeploymentConfig { get; init; }
}

internal sealed record DesiredWeightAndCapacity
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? VariantName { get; init; }

    public double? DesiredWeight { get; init; }

    [AwsRange(0)]
    public int? DesiredInstanceCount { get; init; }
}

internal sealed record UpdateEndpointWeightsAndCapacitiesRequest
{
    [AwsRequired, AwsLength(0, 63), AwsPattern(Patterns.EntityName)]
    public string? EndpointName { get; init; }

    [AwsRequired, AwsLength(1)]
    public List<DesiredWeightAndCapacity>? DesiredWeightsAndCapacities { get; init; }
}

internal sealed record ListEndpointsRequest : ServingListRequest
{
    [AwsEnum("Name", "CreationTime", "Status")]
    public string? SortBy { get; init; }

    public DateTimeOffset? LastModifiedTimeBefore { get; init; }

    public DateTimeOffset? LastModifiedTimeAfter { get; init; }

    [AwsEnum("OutOfService", "Creating", "Updating", "SystemUpdating", "RollingBack", "InService", "Deleting", "Failed", "UpdateRollbackFailed")]
    public string? StatusEquals { get; init; }
}

internal sealed record EndpointSummary(string EndpointName, string EndpointArn, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime, string EndpointStatus);

internal sealed record ListEndpointsResponse(List<EndpointSummary> Endpoints, string? NextToken);
