using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

public static class ApprovalStatuses
{
    public const string Approved = "Approved";
    public const string Rejected = "Rejected";
    public const string PendingManualApproval = "PendingManualApproval";
}

/// <summary>A container a model package is served with: the image and where the model's data is.</summary>
public sealed record PackageContainer(string? Image, string? ModelDataUrl, IReadOnlyDictionary<string, string> Environment, string? Framework = null);

/// <summary>One change of a package's approval status: who, when, to what and why.</summary>
public sealed record ApprovalEvent(string Status, string? Description, string By, DateTimeOffset Time);

/// <summary>What an approval set off (an endpoint deployed, a pipeline started), and how it went.</summary>
public sealed record ApprovalDeployment(string Kind, string Target, bool Succeeded, string Message, string ApprovedBy, DateTimeOffset Time);

/// <summary>
/// What SageMaker's model package adds to a registered model version: how it is served, its approval,
/// documentation (metrics, model card, metadata, kept as the JSON the caller sent), and what approvals did.
/// A version registered through MLflow has none of this stored and reads as pending approval.
/// </summary>
public sealed record ModelPackageDetails
{
    public IReadOnlyList<PackageContainer> Containers { get; init; } = [];

    public IReadOnlyList<string> SupportedContentTypes { get; init; } = [];

    public IReadOnlyList<string> SupportedResponseMIMETypes { get; init; } = [];

    public IReadOnlyList<string> SupportedRealtimeInferenceInstanceTypes { get; init; } = [];

    public IReadOnlyList<string> SupportedTransformInstanceTypes { get; init; } = [];

    public string ApprovalStatus { get; init; } = ApprovalStatuses.PendingManualApproval;

    public string? ApprovalDescription { get; init; }

    public IReadOnlyDictionary<string, string> CustomerMetadata { get; init; } = new Dictionary<string, string>();

    public string? ModelMetricsJson { get; init; }

    public string? ModelCardJson { get; init; }

    public string? MetadataPropertiesJson { get; init; }

    public string? DriftCheckBaselinesJson { get; init; }

    public string? Domain { get; init; }

    public string? Task { get; init; }

    public string? SamplePayloadUrl { get; init; }

    public string? SourceUri { get; init; }

    public string? CreatedBy { get; init; }

    public string? LastModifiedBy { get; init; }

    public DateTimeOffset? LastModifiedTime { get; init; }

    public IReadOnlyList<ApprovalEvent> Approvals { get; init; } = [];

    public IReadOnlyList<ApprovalDeployment> Deployments { get; init; } = [];
}

/// <summary>A registered model version seen as a model package.</summary>
public sealed record ModelPackage(ModelVersion Version, ModelPackageDetails Details)
{
    public string GroupName => Version.Name;

    public long VersionNumber => long.Parse(Version.Version, System.Globalization.CultureInfo.InvariantCulture);

    public DateTimeOffset CreationTime => DateTimeOffset.FromUnixTimeMilliseconds(Version.CreationTimestamp);

    public DateTimeOffset LastModifiedTime => Details.LastModifiedTime ?? DateTimeOffset.FromUnixTimeMilliseconds(Version.LastUpdatedTimestamp);

    /// <summary>The version's tags less the ones Kiln and MLflow keep their own records under (<c>mlflow.*</c>, <c>sagemaker.*</c>).</summary>
    public IReadOnlyList<Tag> UserTags => Version.Tags.Where(tag => !tag.Key.StartsWith("mlflow.", StringComparison.Ordinal) && !tag.Key.StartsWith("sagemaker.", StringComparison.Ordinal)).ToList();
}

/// <summary>The registered model tags that configure what approval does.</summary>
public static class ApprovalTags
{
    /// <summary>An endpoint to deploy an approved version to (created, or updated in place).</summary>
    public const string DeployEndpoint = "kiln.deploy.endpoint";

    /// <summary>The instance type of that endpoint (default ml.m5.large).</summary>
    public const string DeployInstanceType = "kiln.deploy.instance_type";

    /// <summary>A pipeline to start with the approved package's ARN (its ModelPackageArn parameter, when it declares one).</summary>
    public const string StartPipeline = "kiln.deploy.pipeline";

    /// <summary>The approval status, mirrored as a version tag so MLflow clients see it.</summary>
    public const string ApprovalStatusTag = "sagemaker.model_approval_status";

    public static string? Find(RegisteredModel group, string key) => group.Tags.FirstOrDefault(tag => tag.Key == key)?.Value;

    public static Tag Status(string status) => new(ApprovalStatusTag, status);
}
