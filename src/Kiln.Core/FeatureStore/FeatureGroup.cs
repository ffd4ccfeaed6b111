namespace Kiln.Core.FeatureStore;

public enum FeatureType
{
    Integral,
    Fractional,
    String,
}

public static class FeatureGroupStatuses
{
    public const string Creating = "Creating";
    public const string Created = "Created";
    public const string CreateFailed = "CreateFailed";
    public const string Deleting = "Deleting";
    public const string DeleteFailed = "DeleteFailed";
}

/// <summary>One feature of a group, with the metadata UpdateFeatureMetadata edits.</summary>
public sealed record FeatureDefinition
{
    public required string Name { get; init; }

    public required FeatureType Type { get; init; }

    public string? Description { get; init; }

    /// <summary>Key/value parameters, in the order they were added (keys unique).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }
}

public enum TtlUnit
{
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

/// <summary>How long an online record lives after its event time (SageMaker: ExpiresAt = EventTime + TtlDuration).</summary>
public sealed record TtlDuration(TtlUnit Unit, int Value)
{
    public TimeSpan ToTimeSpan() => Unit switch
    {
        TtlUnit.Seconds => TimeSpan.FromSeconds(Value),
        TtlUnit.Minutes => TimeSpan.FromMinutes(Value),
        TtlUnit.Hours => TimeSpan.FromHours(Value),
        TtlUnit.Days => TimeSpan.FromDays(Value),
        _ => TimeSpan.FromDays(7.0 * Value),
    };
}

public sealed record OnlineStoreSettings
{
    public TtlDuration? Ttl { get; init; }

    public string StorageType { get; init; } = "Standard";

    public string? KmsKeyId { get; init; }
}

/// <summary>Where the group's offline store lives: the S3 URI given, and the folder Kiln writes under it.</summary>
public sealed record OfflineStoreSettings
{
    public required string S3Uri { get; init; }

    public required string ResolvedOutputS3Uri { get; init; }

    public string? KmsKeyId { get; init; }

    public bool DisableGlueTableCreation { get; init; }

    public string TableFormat { get; init; } = "Glue";

    public required string Catalog { get; init; }

    public required string Database { get; init; }

    public required string TableName { get; init; }
}

public sealed record ThroughputSettings(string Mode, int? ReadCapacityUnits = null, int? WriteCapacityUnits = null);

/// <summary>
/// A feature group: a schema of typed features with a record identifier and an event time feature, an online store
/// (latest record per identifier) and an offline store (every write, as Parquet under an S3 URI).
/// </summary>
public sealed record FeatureGroup
{
    /// <summary>The store key: SageMaker treats feature group names case-insensitively (its ARNs are lower case).</summary>
    public string Key => KeyOf(Name);

    public required string Name { get; init; }

    public required string Arn { get; init; }

    /// <summary>The region of the ARN, which the offline store's folder names too.</summary>
    public required string Region { get; init; }

    public required string RecordIdentifierFeatureName { get; init; }

    public required string EventTimeFeatureName { get; init; }

    public required IReadOnlyList<FeatureDefinition> Features { get; init; }

    /// <summary>Null when the online store is disabled.</summary>
    public OnlineStoreSettings? OnlineStore { get; init; }

    /// <summary>Null when the group has no offline store.</summary>
    public OfflineStoreSettings? OfflineStore { get; init; }

    public ThroughputSettings Throughput { get; init; } = new("OnDemand");

    public string? RoleArn { get; init; }

    public string? Description { get; init; }

    public required string Status { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>The last UpdateFeatureGroup's outcome (Successful, Failed), null before the first update.</summary>
    public string? LastUpdateStatus { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];

    public FeatureDefinition? Feature(string name) => Features.FirstOrDefault(feature => feature.Name == name);

    public static string KeyOf(string name) => name.ToLowerInvariant();
}
