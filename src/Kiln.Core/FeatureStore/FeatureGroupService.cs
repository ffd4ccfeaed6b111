using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Kiln.Core.Objects;

namespace Kiln.Core.FeatureStore;

/// <summary>What CreateFeatureGroup asks for.</summary>
public sealed record FeatureGroupSpec
{
    public required string Name { get; init; }

    public required string RecordIdentifierFeatureName { get; init; }

    public required string EventTimeFeatureName { get; init; }

    public required IReadOnlyList<(string Name, FeatureType Type)> Features { get; init; }

    /// <summary>Null: no online store.</summary>
    public OnlineStoreSettings? OnlineStore { get; init; }

    /// <summary>Null: no offline store.</summary>
    public OfflineStoreRequest? OfflineStore { get; init; }

    public ThroughputSettings? Throughput { get; init; }

    public string? RoleArn { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];
}

public sealed record OfflineStoreRequest(string S3Uri, string? KmsKeyId, bool DisableGlueTableCreation, string? TableFormat, string? Catalog, string? Database, string? TableName);

/// <summary>
/// Feature groups' control plane: create (validated as SageMaker validates), describe, list, update (add features,
/// online TTL, throughput), delete (with the group's online records), and per-feature metadata.
/// </summary>
public sealed partial class FeatureGroupService(IFeatureGroupStore store, IOnlineRecordStore records, ObjectStore objects, TimeProvider clock)
{
    public const int MaxFeatures = 2500;

    /// <summary>Columns the offline store adds to every row; SageMaker refuses them as feature names.</summary>
    public static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(["is_deleted", "write_time", "api_invocation_time"], StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex("^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")]
    private static partial Regex FeatureNamePattern();

    [GeneratedRegex("^s3://([^/]+)(/.*)?$")]
    private static partial Regex S3UriPattern();

    public async Task<FeatureGroup> CreateAsync(FeatureGroupSpec spec, string region, CancellationToken ct = default)
    {
        ValidateDefinitions(spec);
        var now = clock.GetUtcNow();
        var created = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var group = new FeatureGroup
        {
            Name = spec.Name,
            Arn = Arns.SageMaker(region, "feature-group", spec.Name),
            Region = region,
            RecordIdentifierFeatureName = spec.RecordIdentifierFeatureName,
            EventTimeFeatureName = spec.EventTimeFeatureName,
            Features = spec.Features.Select(feature => new FeatureDefinition { Name = feature.Name, Type = feature.Type, CreationTime = now, LastModifiedTime = now }).ToList(),
            OnlineStore = spec.OnlineStore,
            OfflineStore = spec.OfflineStore is { } offline ? Offline(offline, spec.Name, region, created) : null,
            Throughput = spec.Throughput ?? new ThroughputSettings("OnDemand"),
            RoleArn = spec.RoleArn,
            Description = spec.Description,
            Status = FeatureGroupStatuses.Creating,
            CreationTime = now,
            LastModifiedTime = now,
            Tags = spec.Tags,
        };
        if (!await store.AddAsync(group, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Resource Already Exists: FeatureGroup with name {spec.Name} already exists. Choose a different name.");
        }

        // Provisioning: the online store is a table that exists already; the offline store needs its bucket.
        var failure = group.OfflineStore is { } store1 && !await BucketExistsAsync(store1.S3Uri, ct).ConfigureAwait(false)
            ? $"Cannot access the offline store location {store1.S3Uri}: the bucket does not exist."
            : null;
        return await store.UpdateAsync(group.Key, current => current with
        {
            Status = failure is null ? FeatureGroupStatuses.Created : FeatureGroupStatuses.CreateFailed,
            FailureReason = failure,
        }, ct).ConfigureAwait(false) ?? group;
    }

    public async Task<FeatureGroup> GetAsync(string nameOrArn, CancellationToken ct = default) =>
        await store.FindAsync(KeyOf(nameOrArn), ct).ConfigureAwait(false)
        ?? throw KilnException.NotFound($"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {NameOf(nameOrArn)}");

    public Task<Page<FeatureGroup>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    /// <summary>UpdateFeatureGroup: appends features, changes the online store's default TTL or the throughput mode.</summary>
    public async Task<FeatureGroup> UpdateAsync(string nameOrArn, IReadOnlyList<(string Name, FeatureType Type)> additions, TtlDuration? ttl, ThroughputSettings? throughput, CancellationToken ct = default)
    {
        var group = await GetAsync(nameOrArn, ct).ConfigureAwait(false);
        RequireCreated(group);
        foreach (var (name, _) in additions)
        {
            ValidateFeatureName(name);
            if (group.Feature(name) is not null || additions.Count(other => other.Name == name) > 1)
            {
                throw KilnException.InvalidParameter($"Feature {name} already exists in FeatureGroup {group.Name}, or is added twice.");
            }
        }

        if (group.Features.Count + additions.Count > MaxFeatures)
        {
            throw KilnException.InvalidParameter($"A FeatureGroup can have at most {MaxFeatures} features: {group.Name} has {group.Features.Count} and {additions.Count} are being added.");
        }

        if (ttl is not null && group.OnlineStore is null)
        {
            throw KilnException.InvalidParameter($"FeatureGroup {group.Name} has no online store, so it cannot have a TtlDuration.");
        }

        var now = clock.GetUtcNow();
        return await store.UpdateAsync(group.Key, current => current with
        {
            Features = [.. current.Features, .. additions.Select(feature => new FeatureDefinition { Name = feature.Name, Type = feature.Type, CreationTime = now, LastModifiedTime = now })],
            OnlineStore = ttl is null ? current.OnlineStore : current.OnlineStore! with { Ttl = ttl },
            Throughput = throughput is null ? current.Throughput : new ThroughputSettings(
                throughput.Mode,
                throughput.Mode == "OnDemand" ? null : throughput.ReadCapacityUnits ?? current.Throughput.ReadCapacityUnits,
                throughput.Mode == "OnDemand" ? null : throughput.WriteCapacityUnits ?? current.Throughput.WriteCapacityUnits),
            LastUpdateStatus = "Successful",
            LastModifiedTime = now,
        }, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {group.Name}");
    }

    /// <summary>Deletes the group and its online records; the offline store's files stay, as in SageMaker.</summary>
    public async Task DeleteAsync(string nameOrArn, CancellationToken ct = default)
    {
        var group = await GetAsync(nameOrArn, ct).ConfigureAwait(false);
        if (group.Status is FeatureGroupStatuses.Creating or FeatureGroupStatuses.Deleting)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"FeatureGroup {group.Name} is {group.Status} and cannot be deleted now.");
        }

        await store.UpdateAsync(group.Key, current => current with { Status = FeatureGroupStatuses.Deleting, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await records.RemoveGroupAsync(group.Key, ct).ConfigureAwait(false);
        await store.DeleteAsync(group.Key, ct).ConfigureAwait(false);
    }

    public async Task<(FeatureGroup Group, FeatureDefinition Feature)> GetFeatureAsync(string nameOrArn, string featureName, CancellationToken ct = default)
    {
        var group = await GetAsync(nameOrArn, ct).ConfigureAwait(false);
        return (group, group.Feature(featureName) ?? throw KilnException.NotFound($"Resource Not Found: Amazon SageMaker can't find a Feature with name {featureName} in FeatureGroup {group.Name}"));
    }

    /// <summary>UpdateFeatureMetadata: a new description, parameters added (a known key takes the new value) and removed.</summary>
    public async Task UpdateFeatureMetadataAsync(string nameOrArn, string featureName, string? description, IReadOnlyList<KeyValuePair<string, string>> additions, IReadOnlyList<string> removals, CancellationToken ct = default)
    {
        var (group, _) = await GetFeatureAsync(nameOrArn, featureName, ct).ConfigureAwait(false);
        var clash = additions.Select(pair => pair.Key).Intersect(removals, StringComparer.Ordinal).FirstOrDefault();
        if (clash is not null)
        {
            throw KilnException.InvalidParameter($"The parameter key {clash} is both added and removed.");
        }

        var now = clock.GetUtcNow();
        await store.UpdateAsync(group.Key, current => current with
        {
            Features = current.Features.Select(feature => feature.Name != featureName ? feature : feature with
            {
                Description = description ?? feature.Description,
                Parameters = MergeParameters(feature.Parameters, additions, removals),
                LastModifiedTime = now,
            }).ToList(),
            LastModifiedTime = now,
        }, ct).ConfigureAwait(false);
    }

    public static string KeyOf(string nameOrArn) => FeatureGroup.KeyOf(NameOf(nameOrArn));

    private static string NameOf(string nameOrArn)
    {
        var slash = nameOrArn.IndexOf(":feature-group/", StringComparison.Ordinal);
        return slash < 0 ? nameOrArn : nameOrArn[(slash + ":feature-group/".Length)..];
    }

    private static void RequireCreated(FeatureGroup group)
    {
        if (group.Status != FeatureGroupStatuses.Created)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"FeatureGroup {group.Name} is {group.Status}; it must be Created.");
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> MergeParameters(IReadOnlyList<KeyValuePair<string, string>> current, IReadOnlyList<KeyValuePair<string, string>> additions, IReadOnlyList<string> removals)
    {
        var merged = current.Where(pair => !removals.Contains(pair.Key) && !additions.Any(added => added.Key == pair.Key)).ToList();
        foreach (var added in additions)
        {
            merged.RemoveAll(pair => pair.Key == added.Key);
            merged.Add(added);
        }

        return merged;
    }

    private static void ValidateDefinitions(FeatureGroupSpec spec)
    {
        if (spec.Features.Count > MaxFeatures)
        {
            throw KilnException.InvalidParameter($"The number of FeatureDefinitions ({spec.Features.Count}) exceeds the limit of {MaxFeatures}.");
        }

        foreach (var (name, _) in spec.Features)
        {
            ValidateFeatureName(name);
        }

        var duplicate = spec.Features.GroupBy(feature => feature.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(same => same.Count() > 1);
        if (duplicate is not null)
        {
            throw KilnException.InvalidParameter($"Feature names must be unique (case-insensitively): {duplicate.Key} is defined {duplicate.Count()} times.");
        }

        var identifier = spec.Features.FirstOrDefault(feature => feature.Name == spec.RecordIdentifierFeatureName);
        if (identifier.Name is null)
        {
            throw KilnException.InvalidParameter($"The RecordIdentifierFeatureName {spec.RecordIdentifierFeatureName} must be defined in FeatureDefinitions.");
        }

        if (identifier.Type is FeatureType.Fractional)
        {
            throw KilnException.InvalidParameter($"The RecordIdentifierFeatureName {spec.RecordIdentifierFeatureName} must be of type Integral or String.");
        }

        var eventTime = spec.Features.FirstOrDefault(feature => feature.Name == spec.EventTimeFeatureName);
        if (eventTime.Name is null)
        {
            throw KilnException.InvalidParameter($"The EventTimeFeatureName {spec.EventTimeFeatureName} must be defined in FeatureDefinitions.");
        }

        if (eventTime.Type is FeatureType.Integral)
        {
            throw KilnException.InvalidParameter($"The EventTimeFeatureName {spec.EventTimeFeatureName} must be of type Fractional or String.");
        }

        if (spec.OnlineStore is null && spec.OfflineStore is null)
        {
            throw KilnException.InvalidParameter("At least one of OnlineStoreConfig and OfflineStoreConfig must be specified.");
        }

        if (spec.OfflineStore is { } offline && !S3UriPattern().IsMatch(offline.S3Uri))
        {
            throw KilnException.InvalidParameter($"OfflineStoreConfig.S3StorageConfig.S3Uri {offline.S3Uri} is not an s3:// URI.");
        }
    }

    private static void ValidateFeatureName(string name)
    {
        if (!FeatureNamePattern().IsMatch(name))
        {
            throw KilnException.InvalidParameter($"The feature name {name} must match the pattern ^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){{0,63}}.");
        }

        if (ReservedNames.Contains(name))
        {
            throw KilnException.InvalidParameter($"The feature name {name} is reserved: is_deleted, write_time and api_invocation_time are columns of the offline store.");
        }
    }

    /// <summary>SageMaker's offline store folder and Glue table: both carry the group's name and its creation time in Unix seconds.</summary>
    private static OfflineStoreSettings Offline(OfflineStoreRequest request, string name, string region, DateTimeOffset created)
    {
        var seconds = created.ToUnixTimeSeconds();
        var table = $"{name.ToLowerInvariant().Replace('-', '_')}_{seconds}";
        return new OfflineStoreSettings
        {
            S3Uri = request.S3Uri,
            ResolvedOutputS3Uri = $"{request.S3Uri.TrimEnd('/')}/{Arns.AccountId}/sagemaker/{region}/offline-store/{name}-{seconds}/data",
            KmsKeyId = request.KmsKeyId,
            DisableGlueTableCreation = request.DisableGlueTableCreation,
            TableFormat = request.TableFormat ?? "Glue",
            Catalog = request.Catalog ?? "AwsDataCatalog",
            Database = request.Database ?? "sagemaker_featurestore",
            TableName = request.TableName ?? table,
        };
    }

    private async Task<bool> BucketExistsAsync(string s3Uri, CancellationToken ct)
    {
        try
        {
            await objects.GetBucketAsync(S3UriPattern().Match(s3Uri).Groups[1].Value, ct).ConfigureAwait(false);
            return true;
        }
        catch (ObjectStoreException)
        {
            return false;
        }
    }
}
