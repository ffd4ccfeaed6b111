using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using DomainFeature = Kiln.Core.FeatureStore.FeatureDefinition;
using DomainTtl = Kiln.Core.FeatureStore.TtlDuration;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Feature Store's control plane: Create/Describe/List/Update/DeleteFeatureGroup and Describe/UpdateFeatureMetadata,
/// a dialect over <see cref="FeatureGroupService"/>. The records themselves go through sagemaker-featurestore-runtime
/// (<see cref="FeatureStoreRuntime.FeatureStoreRuntimeApi"/>).
/// </summary>
internal static class FeatureStoreApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateFeatureGroupRequest>("CreateFeatureGroup", CreateAsync);
        SageMakerApi.Add<DescribeFeatureGroupRequest>("DescribeFeatureGroup", DescribeAsync);
        SageMakerApi.Add<ListFeatureGroupsRequest>("ListFeatureGroups", ListAsync);
        SageMakerApi.Add<UpdateFeatureGroupRequest>("UpdateFeatureGroup", UpdateAsync);
        SageMakerApi.Add<DeleteFeatureGroupRequest>("DeleteFeatureGroup", DeleteAsync);
        SageMakerApi.Add<DescribeFeatureMetadataRequest>("DescribeFeatureMetadata", DescribeMetadataAsync);
        SageMakerApi.Add<UpdateFeatureMetadataRequest>("UpdateFeatureMetadata", UpdateMetadataAsync);
    }

    private static async Task<object?> CreateAsync(CreateFeatureGroupRequest request, SageMakerCall call)
    {
        if (request.FeatureDefinitions!.Any(feature => feature.CollectionType is not null))
        {
            throw new SageMakerException("ValidationException", "Kiln does not support collection features (CollectionType) yet: define scalar Integral, Fractional or String features.");
        }

        var online = request.OnlineStoreConfig is { EnableOnlineStore: true } config
            ? new OnlineStoreSettings { Ttl = Ttl(config.TtlDuration), StorageType = config.StorageType ?? "Standard", KmsKeyId = config.SecurityConfig?.KmsKeyId }
            : null;
        var offline = request.OfflineStoreConfig is { } offlineConfig
            ? new OfflineStoreRequest(
                offlineConfig.S3StorageConfig!.S3Uri!,
                offlineConfig.S3StorageConfig.KmsKeyId,
                offlineConfig.DisableGlueTableCreation ?? false,
                offlineConfig.TableFormat,
                offlineConfig.DataCatalogConfig?.Catalog,
                offlineConfig.DataCatalogConfig?.Database,
                offlineConfig.DataCatalogConfig?.TableName)
            : null;
        var group = await call.Service<FeatureGroupService>().CreateAsync(new FeatureGroupSpec
        {
            Name = request.FeatureGroupName!,
            RecordIdentifierFeatureName = request.RecordIdentifierFeatureName!,
            EventTimeFeatureName = request.EventTimeFeatureName!,
            Features = request.FeatureDefinitions!.Select(feature => (feature.FeatureName!, Enum.Parse<FeatureType>(feature.FeatureType!))).ToList(),
            OnlineStore = online,
            OfflineStore = offline,
            Throughput = request.ThroughputConfig is { } throughput ? new ThroughputSettings(throughput.ThroughputMode!, throughput.ProvisionedReadCapacityUnits, throughput.ProvisionedWriteCapacityUnits) : null,
            RoleArn = request.RoleArn,
            Description = request.Description,
            Tags = (request.Tags ?? []).Select(tag => KeyValuePair.Create(tag.Key!, tag.Value!)).ToList(),
        }, call.Caller.Region, call.Aborted);
        return new CreateFeatureGroupResponse { FeatureGroupArn = group.Arn };
    }

    private static async Task<object?> DescribeAsync(DescribeFeatureGroupRequest request, SageMakerCall call) =>
        Describe(await call.Service<FeatureGroupService>().GetAsync(request.FeatureGroupName!, call.Aborted));

    /// <summary>Every feature group, oldest first: what Search looks through.</summary>
    internal static async Task<List<FeatureGroup>> AllAsync(SageMakerCall call)
    {
        var service = call.Service<FeatureGroupService>();
        var all = new List<FeatureGroup>();
        string? token = null;
        do
        {
            var page = await service.ListAsync(new ListQuery(Ascending: true, MaxResults: 100, PageToken: token), call.Aborted);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    internal static DescribeFeatureGroupResponse Describe(FeatureGroup group) =>
        new()
        {
            FeatureGroupArn = group.Arn,
            FeatureGroupName = group.Name,
            RecordIdentifierFeatureName = group.RecordIdentifierFeatureName,
            EventTimeFeatureName = group.EventTimeFeatureName,
            FeatureDefinitions = group.Features.Select(feature => new Generated.FeatureDefinition { FeatureName = feature.Name, FeatureType = feature.Type.ToString() }).ToList(),
            CreationTime = group.CreationTime,
            LastModifiedTime = group.LastModifiedTime,
            OnlineStoreConfig = group.OnlineStore is { } online
                ? new OnlineStoreConfig
                {
                    EnableOnlineStore = true,
                    TtlDuration = online.Ttl is { } ttl ? new Generated.TtlDuration { Unit = ttl.Unit.ToString(), Value = ttl.Value } : null,
                    StorageType = online.StorageType,
                    SecurityConfig = online.KmsKeyId is null ? null : new OnlineStoreSecurityConfig { KmsKeyId = online.KmsKeyId },
                }
                : new OnlineStoreConfig { EnableOnlineStore = false },
            OfflineStoreConfig = group.OfflineStore is { } offline
                ? new OfflineStoreConfig
                {
                    S3StorageConfig = new S3StorageConfig { S3Uri = offline.S3Uri, KmsKeyId = offline.KmsKeyId, ResolvedOutputS3Uri = offline.ResolvedOutputS3Uri },
                    DisableGlueTableCreation = offline.DisableGlueTableCreation,
                    DataCatalogConfig = new DataCatalogConfig { TableName = offline.TableName, Catalog = offline.Catalog, Database = offline.Database },
                    TableFormat = offline.TableFormat,
                }
                : null,
            ThroughputConfig = new ThroughputConfigDescription
            {
                ThroughputMode = group.Throughput.Mode,
                ProvisionedReadCapacityUnits = group.Throughput.ReadCapacityUnits,
                ProvisionedWriteCapacityUnits = group.Throughput.WriteCapacityUnits,
            },
            RoleArn = group.RoleArn,
            FeatureGroupStatus = group.Status,
            OfflineStoreStatus = OfflineStatus(group),
            LastUpdateStatus = group.LastUpdateStatus is { } status ? new LastUpdateStatus { Status = status } : null,
            FailureReason = group.FailureReason,
            Description = group.Description,
            NextToken = "",
        };

    private static async Task<object?> ListAsync(ListFeatureGroupsRequest request, SageMakerCall call)
    {
        var ascending = request.SortOrder == "Ascending";
        var sort = request.SortBy switch
        {
            "Name" => ListSort.Name,
            "FeatureGroupStatus" => ListSort.Status,
            _ => ListSort.CreationTime,
        };
        var service = call.Service<FeatureGroupService>();
        if (request.OfflineStoreStatusEquals is null && request.SortBy != "OfflineStoreStatus")
        {
            var page = await service.ListAsync(new ListQuery(
                NameContains: request.NameContains,
                Status: request.FeatureGroupStatusEquals,
                CreatedAfter: request.CreationTimeAfter,
                CreatedBefore: request.CreationTimeBefore,
                SortBy: sort,
                Ascending: ascending,
                MaxResults: request.MaxResults ?? 10,
                PageToken: request.NextToken), call.Aborted);
            return new ListFeatureGroupsResponse { FeatureGroupSummaries = page.Items.Select(Summary).ToList(), NextToken = page.NextPageToken };
        }

        // The offline store's status is derived, not stored: filter and sort the (few) groups in memory.
        var all = new List<FeatureGroup>();
        string? token = null;
        do
        {
            var page = await service.ListAsync(new ListQuery(NameContains: request.NameContains, Status: request.FeatureGroupStatusEquals, CreatedAfter: request.CreationTimeAfter, CreatedBefore: request.CreationTimeBefore, Ascending: true, MaxResults: 100, PageToken: token), call.Aborted);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        var matching = all.Where(group => request.OfflineStoreStatusEquals is null || OfflineStatus(group)?.Status == request.OfflineStoreStatusEquals);
        var ordered = request.SortBy == "OfflineStoreStatus"
            ? (ascending ? matching.OrderBy(group => OfflineStatus(group)?.Status, StringComparer.Ordinal) : matching.OrderByDescending(group => OfflineStatus(group)?.Status, StringComparer.Ordinal)).ThenBy(group => group.CreationTime)
            : ascending ? matching.OrderBy(group => group.CreationTime) : matching.OrderByDescending(group => group.CreationTime);
        var slice = PageToken.Slice(ordered.ToList(), request.NextToken, request.MaxResults ?? 10);
        return new ListFeatureGroupsResponse { FeatureGroupSummaries = slice.Items.Select(Summary).ToList(), NextToken = slice.NextPageToken };
    }

    private static async Task<object?> UpdateAsync(UpdateFeatureGroupRequest request, SageMakerCall call)
    {
        if (request.FeatureAdditions?.Any(feature => feature.CollectionType is not null) == true)
        {
            throw new SageMakerException("ValidationException", "Kiln does not support collection features (CollectionType) yet: add scalar Integral, Fractional or String features.");
        }

        var throughput = request.ThroughputConfig;
        var group = await call.Service<FeatureGroupService>().UpdateAsync(
            request.FeatureGroupName!,
            (request.FeatureAdditions ?? []).Select(feature => (feature.FeatureName!, Enum.Parse<FeatureType>(feature.FeatureType!))).ToList(),
            Ttl(request.OnlineStoreConfig?.TtlDuration),
            throughput?.ThroughputMode is { } mode ? new ThroughputSettings(mode, throughput.ProvisionedReadCapacityUnits, throughput.ProvisionedWriteCapacityUnits) : null,
            call.Aborted);
        return new UpdateFeatureGroupResponse { FeatureGroupArn = group.Arn };
    }

    private static async Task<object?> DeleteAsync(DeleteFeatureGroupRequest request, SageMakerCall call)
    {
        await call.Service<FeatureGroupService>().DeleteAsync(request.FeatureGroupName!, call.Aborted);
        return null;
    }

    private static async Task<object?> DescribeMetadataAsync(DescribeFeatureMetadataRequest request, SageMakerCall call)
    {
        var (group, feature) = await call.Service<FeatureGroupService>().GetFeatureAsync(request.FeatureGroupName!, request.FeatureName!, call.Aborted);
        return Metadata(group, feature);
    }

    private static async Task<object?> UpdateMetadataAsync(UpdateFeatureMetadataRequest request, SageMakerCall call)
    {
        await call.Service<FeatureGroupService>().UpdateFeatureMetadataAsync(
            request.FeatureGroupName!,
            request.FeatureName!,
            request.Description,
            (request.ParameterAdditions ?? []).Select(parameter => KeyValuePair.Create(parameter.Key ?? "", parameter.Value ?? "")).ToList(),
            request.ParameterRemovals ?? [],
            call.Aborted);
        return null;
    }

    internal static DescribeFeatureMetadataResponse Metadata(FeatureGroup group, DomainFeature feature) => new()
    {
        FeatureGroupArn = group.Arn,
        FeatureGroupName = group.Name,
        FeatureName = feature.Name,
        FeatureType = feature.Type.ToString(),
        CreationTime = feature.CreationTime,
        LastModifiedTime = feature.LastModifiedTime,
        Description = feature.Description,
        Parameters = feature.Parameters.Select(pair => new FeatureParameter { Key = pair.Key, Value = pair.Value }).ToList(),
    };

    private static FeatureGroupSummary Summary(FeatureGroup group) => new()
    {
        FeatureGroupName = group.Name,
        FeatureGroupArn = group.Arn,
        CreationTime = group.CreationTime,
        FeatureGroupStatus = group.Status,
        OfflineStoreStatus = OfflineStatus(group),
    };

    /// <summary>Active while the group exists with an offline store; Kiln never blocks one.</summary>
    private static OfflineStoreStatus? OfflineStatus(FeatureGroup group) =>
        group.OfflineStore is null || group.Status == FeatureGroupStatuses.CreateFailed ? null : new OfflineStoreStatus { Status = "Active" };

    private static DomainTtl? Ttl(Generated.TtlDuration? ttl) =>
        ttl is null ? null
        : ttl.Unit is null || ttl.Value is null ? throw new SageMakerException("ValidationException", "TtlDuration needs both Unit and Value.")
        : new DomainTtl(Enum.Parse<TtlUnit>(ttl.Unit), ttl.Value.Value);
}
