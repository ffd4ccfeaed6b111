using System.Globalization;
using System.Text.Json;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Api.Security.Permissions;
using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.SageMaker;

/// <summary>Model package groups and model packages: SageMaker's registry over the registered models and versions MLflow sees.</summary>
internal static class RegistryApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateModelPackageGroupInput>("CreateModelPackageGroup", CreateGroupAsync);
        SageMakerApi.Add<ModelPackageGroupNameInput>("DescribeModelPackageGroup", DescribeGroupAsync);
        SageMakerApi.Add<ListModelPackageGroupsInput>("ListModelPackageGroups", ListGroupsAsync);
        SageMakerApi.Add<ModelPackageGroupNameInput>("DeleteModelPackageGroup", DeleteGroupAsync);
        SageMakerApi.Add<CreateModelPackageInput>("CreateModelPackage", CreatePackageAsync);
        SageMakerApi.Add<ModelPackageNameInput>("DescribeModelPackage", DescribePackageAsync);
        SageMakerApi.Add<ListModelPackagesInput>("ListModelPackages", ListPackagesAsync);
        SageMakerApi.Add<UpdateModelPackageInput>("UpdateModelPackage", UpdatePackageAsync);
        SageMakerApi.Add<ModelPackageNameInput>("DeleteModelPackage", DeletePackageAsync);
    }

    /// <summary>Registered model names keep their case in ARNs, so an ARN always leads back to its group.</summary>
    public static string GroupArn(SageMakerCall call, string group) =>
        $"arn:aws:sagemaker:{call.Caller.Region}:{SageMakerApi.AccountId}:model-package-group/{group}";

    public static string PackageArn(SageMakerCall call, string group, long version) => Arns.ModelPackage(call.Caller.Region, group, version);

    /// <summary>The group and version a versioned package ARN names.</summary>
    public static (string Group, long Version) ParsePackageArn(string arnOrName)
    {
        var marker = arnOrName.IndexOf(":model-package/", StringComparison.Ordinal);
        var path = marker >= 0 ? arnOrName[(marker + ":model-package/".Length)..] : arnOrName;
        var slash = path.LastIndexOf('/');
        if (slash <= 0 || !long.TryParse(path[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new SageMakerException("ValidationException", $"'{arnOrName}' is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>); Kiln keeps only versioned model packages.");
        }

        return (path[..slash], version);
    }

    private static string GroupName(string arnOrName) => arnOrName[(arnOrName.LastIndexOf('/') + 1)..];

    private static async Task<object?> CreateGroupAsync(CreateModelPackageGroupInput request, SageMakerCall call)
    {
        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        try
        {
            await call.Service<ModelPackageService>().CreateGroupAsync(request.ModelPackageGroupName!, request.ModelPackageGroupDescription, tags, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceAlreadyExists)
        {
            throw new SageMakerException("ValidationException", $"Model Package Group already exists: {GroupArn(call, request.ModelPackageGroupName!)}");
        }

        await SageMakerPermissionRules.GrantCreatorAsync(call, ResourceKind.RegisteredModel, request.ModelPackageGroupName!);

        return new CreateModelPackageGroupOutput(GroupArn(call, request.ModelPackageGroupName!));
    }

    private static async Task<object?> DescribeGroupAsync(ModelPackageGroupNameInput request, SageMakerCall call)
    {
        var group = await Group(call, GroupName(request.ModelPackageGroupName!));
        return new DescribeModelPackageGroupOutput
        {
            ModelPackageGroupName = group.Name,
            ModelPackageGroupArn = GroupArn(call, group.Name),
            ModelPackageGroupDescription = group.Description,
            CreationTime = DateTimeOffset.FromUnixTimeMilliseconds(group.CreationTimestamp),
            CreatedBy = new UserContext(),
            ModelPackageGroupStatus = "Completed",
        };
    }

    private static async Task<object?> ListGroupsAsync(ListModelPackageGroupsInput request, SageMakerCall call)
    {
        var page = await Paged(request.NextToken, () => call.Service<ModelPackageService>().ListGroupsAsync(
            request.NameContains, request.SortBy == "Name", request.SortOrder == "Ascending", request.MaxResults ?? 10, request.NextToken, call.Aborted));
        var readable = await SageMakerPermissionRules.ReadableAsync(call, page.Items, ResourceKind.RegisteredModel, group => group.Name);
        var groups = readable
            .Where(group => (request.CreationTimeAfter is null || group.CreationTimestamp > request.CreationTimeAfter.Value.ToUnixTimeMilliseconds())
                && (request.CreationTimeBefore is null || group.CreationTimestamp < request.CreationTimeBefore.Value.ToUnixTimeMilliseconds()))
            .Select(group => new ModelPackageGroupSummary(group.Name, GroupArn(call, group.Name), group.Description, DateTimeOffset.FromUnixTimeMilliseconds(group.CreationTimestamp), "Completed"))
            .ToList();
        return new ListModelPackageGroupsOutput(groups, page.NextPageToken);
    }

    private static async Task<object?> DeleteGroupAsync(ModelPackageGroupNameInput request, SageMakerCall call)
    {
        var name = GroupName(request.ModelPackageGroupName!);
        await Group(call, name);
        await call.Service<ModelPackageService>().DeleteGroupAsync(name, call.Aborted);
        await call.Service<ResourcePermissions>().Store.DeleteForResourceAsync(ResourceKind.RegisteredModel, name, call.Aborted);
        return null;
    }

    private static async Task<object?> CreatePackageAsync(CreateModelPackageInput request, SageMakerCall call)
    {
        if (request.ModelPackageGroupName is null)
        {
            throw new SageMakerException("ValidationException", request.ModelPackageName is null
                ? "ModelPackageGroupName is required: Kiln registers versioned model packages in a group."
                : "Unversioned model packages (ModelPackageName without ModelPackageGroupName) are not supported by Kiln; register the package in a ModelPackageGroupName.");
        }

        var spec = request.InferenceSpecification
            ?? throw new SageMakerException("ValidationException", "InferenceSpecification is required: it says which container serves the model and where the model data is.");
        var group = GroupName(request.ModelPackageGroupName);
        await Group(call, group);
        var details = new ModelPackageDetails
        {
            Containers = spec.Containers!.Select(container => new PackageContainer(container.Image, container.ModelDataUrl, container.Environment ?? [], container.Framework)).ToList(),
            SupportedContentTypes = spec.SupportedContentTypes ?? [],
            SupportedResponseMIMETypes = spec.SupportedResponseMIMETypes ?? [],
            SupportedRealtimeInferenceInstanceTypes = spec.SupportedRealtimeInferenceInstanceTypes ?? [],
            SupportedTransformInstanceTypes = spec.SupportedTransformInstanceTypes ?? [],
            ApprovalStatus = request.ModelApprovalStatus ?? ApprovalStatuses.PendingManualApproval,
            CustomerMetadata = request.CustomerMetadataProperties ?? [],
            ModelMetricsJson = Raw(request.ModelMetrics),
            ModelCardJson = Raw(request.ModelCard),
            MetadataPropertiesJson = Raw(request.MetadataProperties),
            DriftCheckBaselinesJson = Raw(request.DriftCheckBaselines),
            Domain = request.Domain,
            Task = request.Task,
            SamplePayloadUrl = request.SamplePayloadUrl,
            SourceUri = request.SourceUri,
        };
        var tags = (request.Tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
        var package = await call.Service<ModelPackageService>().CreatePackageAsync(group, request.ModelPackageDescription, details, tags, call.Caller.AccessKeyId, call.Aborted);
        return new CreateModelPackageOutput(PackageArn(call, package.GroupName, package.VersionNumber));
    }

    private static async Task<object?> DescribePackageAsync(ModelPackageNameInput request, SageMakerCall call)
    {
        var (group, version) = ParsePackageArn(request.ModelPackageName!);
        return Describe(call, await Package(call, group, version));
    }

    /// <summary>A package as DescribeModelPackage (and Search) shows it.</summary>
    internal static DescribeModelPackageOutput Describe(SageMakerCall call, ModelPackage package)
    {
        var details = package.Details;
        return new DescribeModelPackageOutput
        {
            ModelPackageName = package.GroupName,
            ModelPackageGroupName = package.GroupName,
            ModelPackageVersion = package.VersionNumber,
            ModelPackageRegistrationType = "Registered",
            ModelPackageArn = PackageArn(call, package.GroupName, package.VersionNumber),
            ModelPackageDescription = package.Version.Description,
            CreationTime = DateTimeOffset.FromUnixTimeMilliseconds(package.Version.CreationTimestamp),
            InferenceSpecification = new InferenceSpecification
            {
                Containers = details.Containers.Select(container => new ModelPackageContainerDefinition
                {
                    Image = container.Image,
                    ModelDataUrl = container.ModelDataUrl,
                    Environment = container.Environment.Count == 0 ? null : container.Environment.ToDictionary(),
                    Framework = container.Framework,
                }).ToList(),
                SupportedContentTypes = Nullable(details.SupportedContentTypes),
                SupportedResponseMIMETypes = Nullable(details.SupportedResponseMIMETypes),
                SupportedRealtimeInferenceInstanceTypes = Nullable(details.SupportedRealtimeInferenceInstanceTypes),
                SupportedTransformInstanceTypes = Nullable(details.SupportedTransformInstanceTypes),
            },
            ModelPackageStatus = "Completed",
            ModelPackageStatusDetails = new ModelPackageStatusDetails([]),
            ModelApprovalStatus = details.ApprovalStatus,
            CreatedBy = new UserContext { UserProfileName = details.CreatedBy ?? package.Version.UserId },
            MetadataProperties = Parse(details.MetadataPropertiesJson),
            ModelMetrics = Parse(details.ModelMetricsJson),
            LastModifiedTime = details.LastModifiedTime ?? DateTimeOffset.FromUnixTimeMilliseconds(package.Version.LastUpdatedTimestamp),
            LastModifiedBy = details.LastModifiedBy is null ? null : new UserContext { UserProfileName = details.LastModifiedBy },
            ApprovalDescription = details.ApprovalDescription,
            Domain = details.Domain,
            Task = details.Task,
            SamplePayloadUrl = details.SamplePayloadUrl,
            CustomerMetadataProperties = details.CustomerMetadata.Count == 0 ? null : details.CustomerMetadata.ToDictionary(),
            DriftCheckBaselines = Parse(details.DriftCheckBaselinesJson),
            SourceUri = details.SourceUri,
            ModelCard = Parse(details.ModelCardJson),
        };
    }

    private static async Task<object?> ListPackagesAsync(ListModelPackagesInput request, SageMakerCall call)
    {
        if (request.ModelPackageType == "Unversioned")
        {
            return new ListModelPackagesOutput([], null);
        }

        var query = new PackageQuery(
            request.ModelPackageGroupName is { } group ? GroupName(group) : null,
            request.NameContains,
            request.ModelApprovalStatus,
            request.CreationTimeAfter,
            request.CreationTimeBefore,
            request.SortBy == "Name",
            request.SortOrder == "Ascending",
            request.MaxResults ?? 10,
            request.NextToken);
        var page = await Paged(request.NextToken, () => call.Service<ModelPackageService>().ListPackagesAsync(query, call.Aborted));
        var readable = await SageMakerPermissionRules.ReadableAsync(call, page.Items, ResourceKind.RegisteredModel, package => package.GroupName);
        return new ListModelPackagesOutput(
            readable.Select(package => new ModelPackageSummary(
                package.GroupName,
                package.GroupName,
                package.VersionNumber,
                PackageArn(call, package.GroupName, package.VersionNumber),
                package.Version.Description,
                DateTimeOffset.FromUnixTimeMilliseconds(package.Version.CreationTimestamp),
                "Completed",
                package.Details.ApprovalStatus,
                "Registered")).ToList(),
            page.NextPageToken);
    }

    private static async Task<object?> UpdatePackageAsync(UpdateModelPackageInput request, SageMakerCall call)
    {
        var (group, version) = ParsePackageArn(request.ModelPackageArn!);
        await Package(call, group, version);
        var package = await call.Service<ModelPackageService>().UpdatePackageAsync(
            group,
            version,
            request.ModelApprovalStatus,
            request.ApprovalDescription,
            request.CustomerMetadataProperties,
            request.CustomerMetadataPropertiesToRemove,
            Raw(request.ModelCard),
            call.Caller.AccessKeyId,
            call.Aborted);
        return new UpdateModelPackageOutput(PackageArn(call, package.GroupName, package.VersionNumber));
    }

    private static async Task<object?> DeletePackageAsync(ModelPackageNameInput request, SageMakerCall call)
    {
        var (group, version) = ParsePackageArn(request.ModelPackageName!);
        await Package(call, group, version);
        await call.Service<ModelPackageService>().DeletePackageAsync(group, version, call.Aborted);
        return null;
    }

    private static async Task<RegisteredModel> Group(SageMakerCall call, string name)
    {
        try
        {
            return await call.Service<ModelPackageService>().DescribeGroupAsync(name, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw new SageMakerException("ValidationException", $"ModelPackageGroup {name} does not exist.");
        }
    }

    public static async Task<ModelPackage> Package(SageMakerCall call, string group, long version)
    {
        try
        {
            return await call.Service<ModelPackageService>().DescribePackageAsync(group, version, call.Aborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw new SageMakerException("ValidationException", $"ModelPackage {PackageArn(call, group, version)} does not exist.");
        }
    }

    /// <summary>A NextToken Kiln did not issue is a ValidationException, as in the other listings.</summary>
    private static async Task<Page<T>> Paged<T>(string? token, Func<Task<Page<T>>> list)
    {
        try
        {
            return await list();
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue && token is not null)
        {
            throw new SageMakerException("ValidationException", $"Invalid NextToken: {token}");
        }
    }

    private static string? Raw(JsonElement? element) => element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } value ? value.GetRawText() : null;

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static List<string>? Nullable(IReadOnlyList<string> items) => items.Count == 0 ? null : items.ToList();
}
