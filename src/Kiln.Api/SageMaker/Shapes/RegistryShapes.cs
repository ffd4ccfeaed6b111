using System.Text.Json;
using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal static class RegistryPatterns
{
    public const string GroupArnOrName = @"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)";

    public const string PackageArn = @"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/[\S]{1,2048}";

    public const string Description = @"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*";
}

internal sealed record ModelPackageContainerDefinition
{
    [AwsLength(0, 63)]
    public string? ContainerHostname { get; init; }

    [AwsLength(0, 255), AwsPattern(@"[\S]+")]
    public string? Image { get; init; }

    [AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? ModelDataUrl { get; init; }

    [AwsLength(0, 100), AwsMap(1024, 1024)]
    public Dictionary<string, string>? Environment { get; init; }

    public string? Framework { get; init; }

    public string? FrameworkVersion { get; init; }
}

internal sealed record InferenceSpecification
{
    [AwsRequired, AwsLength(1, 15)]
    public List<ModelPackageContainerDefinition>? Containers { get; init; }

    public List<string>? SupportedTransformInstanceTypes { get; init; }

    public List<string>? SupportedRealtimeInferenceInstanceTypes { get; init; }

    public List<string>? SupportedContentTypes { get; init; }

    public List<string>? SupportedResponseMIMETypes { get; init; }
}

internal sealed record UserContext
{
    public string? UserProfileArn { get; init; }

    public string? UserProfileName { get; init; }

    public string? DomainId { get; init; }
}

internal sealed record CreateModelPackageGroupInput
{
    [AwsRequired, AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? ModelPackageGroupName { get; init; }

    [AwsLength(0, 1024), AwsPattern(RegistryPatterns.Description)]
    public string? ModelPackageGroupDescription { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record CreateModelPackageGroupOutput(string ModelPackageGroupArn);

internal sealed record ModelPackageGroupNameInput
{
    [AwsRequired, AwsLength(1, 170), AwsPattern(RegistryPatterns.GroupArnOrName)]
    public string? ModelPackageGroupName { get; init; }
}

internal sealed record DescribeModelPackageGroupOutput
{
    public required string ModelPackageGroupName { get; init; }

    public required string ModelPackageGroupArn { get; init; }

    public string? ModelPackageGroupDescription { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required UserContext CreatedBy { get; init; }

    public required string ModelPackageGroupStatus { get; init; }
}

internal sealed record ListModelPackageGroupsInput : PagedRequest
{
    public DateTimeOffset? CreationTimeAfter { get; init; }

    public DateTimeOffset? CreationTimeBefore { get; init; }

    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }

    [AwsEnum("SameAccount", "CrossAccount")]
    public string? CrossAccountFilterOption { get; init; }
}

internal sealed record ModelPackageGroupSummary(string ModelPackageGroupName, string ModelPackageGroupArn, string? ModelPackageGroupDescription, DateTimeOffset CreationTime, string ModelPackageGroupStatus);

internal sealed record ListModelPackageGroupsOutput(List<ModelPackageGroupSummary> ModelPackageGroupSummaryList, string? NextToken);

internal sealed record CreateModelPackageInput
{
    [AwsLength(1, 63), AwsPattern(Patterns.EntityName)]
    public string? ModelPackageName { get; init; }

    [AwsLength(1, 170), AwsPattern(RegistryPatterns.GroupArnOrName)]
    public string? ModelPackageGroupName { get; init; }

    [AwsLength(0, 1024), AwsPattern(RegistryPatterns.Description)]
    public string? ModelPackageDescription { get; init; }

    [AwsEnum("Logged", "Registered")]
    public string? ModelPackageRegistrationType { get; init; }

    public InferenceSpecification? InferenceSpecification { get; init; }

    public bool? CertifyForMarketplace { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }

    [AwsEnum("Approved", "Rejected", "PendingManualApproval")]
    public string? ModelApprovalStatus { get; init; }

    public JsonElement? MetadataProperties { get; init; }

    public JsonElement? ModelMetrics { get; init; }

    [AwsLength(1, 36), AwsPattern(@"[a-zA-Z0-9-]+")]
    public string? ClientToken { get; init; }

    public string? Domain { get; init; }

    public string? Task { get; init; }

    [AwsLength(0, 1024), AwsPattern(Patterns.DataUri)]
    public string? SamplePayloadUrl { get; init; }

    [AwsLength(1, 50), AwsMap(128, 256)]
    public Dictionary<string, string>? CustomerMetadataProperties { get; init; }

    public JsonElement? DriftCheckBaselines { get; init; }

    [AwsEnum("All", "None")]
    public string? SkipModelValidation { get; init; }

    [AwsLength(0, 1024)]
    public string? SourceUri { get; init; }

    public JsonElement? ModelCard { get; init; }
}

internal sealed record CreateModelPackageOutput(string ModelPackageArn);

internal sealed record ModelPackageNameInput
{
    [AwsRequired, AwsLength(1, 176)]
    public string? ModelPackageName { get; init; }
}

internal sealed record ModelPackageStatusItem(string Name, string Status);

internal sealed record ModelPackageStatusDetails(List<ModelPackageStatusItem> ValidationStatuses);

internal sealed record DescribeModelPackageOutput
{
    public required string ModelPackageName { get; init; }

    public required string ModelPackageGroupName { get; init; }

    public required long ModelPackageVersion { get; init; }

    public required string ModelPackageRegistrationType { get; init; }

    public required string ModelPackageArn { get; init; }

    public string? ModelPackageDescription { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public InferenceSpecification? InferenceSpecification { get; init; }

    public required string ModelPackageStatus { get; init; }

    public required ModelPackageStatusDetails ModelPackageStatusDetails { get; init; }

    public bool CertifyForMarketplace { get; init; }

    public required string ModelApprovalStatus { get; init; }

    public UserContext? CreatedBy { get; init; }

    public JsonElement? MetadataProperties { get; init; }

    public JsonElement? ModelMetrics { get; init; }

    public DateTimeOffset? LastModifiedTime { get; init; }

    public UserContext? LastModifiedBy { get; init; }

    public string? ApprovalDescription { get; init; }

    public string? Domain { get; init; }

    public string? Task { get; init; }

    public string? SamplePayloadUrl { get; init; }

    public Dictionary<string, string>? CustomerMetadataProperties { get; init; }

    public JsonElement? DriftCheckBaselines { get; init; }

    public string? SourceUri { get; init; }

    public JsonElement? ModelCard { get; init; }
}

internal sealed record ListModelPackagesInput : PagedRequest
{
    public DateTimeOffset? CreationTimeAfter { get; init; }

    public DateTimeOffset? CreationTimeBefore { get; init; }

    [AwsLength(0, 63), AwsPattern(@"[a-zA-Z0-9\-]+")]
    public string? NameContains { get; init; }

    [AwsEnum("Approved", "Rejected", "PendingManualApproval")]
    public string? ModelApprovalStatus { get; init; }

    [AwsLength(1, 170), AwsPattern(RegistryPatterns.GroupArnOrName)]
    public string? ModelPackageGroupName { get; init; }

    [AwsEnum("Versioned", "Unversioned", "Both")]
    public string? ModelPackageType { get; init; }

    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record ModelPackageSummary(
    string ModelPackageName,
    string ModelPackageGroupName,
    long ModelPackageVersion,
    string ModelPackageArn,
    string? ModelPackageDescription,
    DateTimeOffset CreationTime,
    string ModelPackageStatus,
    string ModelApprovalStatus,
    string ModelPackageRegistrationType);

internal sealed record ListModelPackagesOutput(List<ModelPackageSummary> ModelPackageSummaryList, string? NextToken);

internal sealed record UpdateModelPackageInput
{
    [AwsRequired, AwsLength(1, 2048), AwsPattern(RegistryPatterns.PackageArn)]
    public string? ModelPackageArn { get; init; }

    [AwsEnum("Approved", "Rejected", "PendingManualApproval")]
    public string? ModelApprovalStatus { get; init; }

    [AwsLength(0, 1024), AwsPattern(".*")]
    public string? ApprovalDescription { get; init; }

    [AwsLength(1, 50), AwsMap(128, 256)]
    public Dictionary<string, string>? CustomerMetadataProperties { get; init; }

    public List<string>? CustomerMetadataPropertiesToRemove { get; init; }

    public JsonElement? ModelCard { get; init; }
}

internal sealed record UpdateModelPackageOutput(string ModelPackageArn);
