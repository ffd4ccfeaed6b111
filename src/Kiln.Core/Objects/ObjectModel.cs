namespace Kiln.Core.Objects;

public sealed record BucketInfo(string Name, DateTimeOffset Created);

/// <summary>An object's metadata; its bytes live in the artifact store under <c>s3/{bucket}/{key}</c>.</summary>
public sealed record ObjectInfo(
    string Bucket,
    string Key,
    long Size,
    string ETag,
    string ContentType,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string> Metadata,
    ObjectChecksum? Checksum = null);

/// <summary>An upload in progress; with a checksum algorithm every part carries that checksum and the object a composite one.</summary>
public sealed record MultipartUpload(
    string UploadId,
    string Bucket,
    string Key,
    DateTimeOffset Initiated,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    ChecksumAlgorithm? ChecksumAlgorithm = null);

public sealed record UploadedPart(int Number, long Size, string ETag, DateTimeOffset LastModified, ObjectChecksum? Checksum = null);

/// <summary>One page of a listing: objects and, with a delimiter, the common prefixes rolled up.</summary>
public sealed record ObjectListing(
    IReadOnlyList<ObjectInfo> Objects,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextMarker);

/// <summary>A part named in CompleteMultipartUpload, with the checksum the client recorded for it.</summary>
public sealed record CompletedPart(int Number, string ETag, ObjectChecksum? Checksum = null);

/// <summary>One page of ListMultipartUploads: uploads in key, then initiation, order and the common prefixes rolled up.</summary>
public sealed record UploadListing(
    IReadOnlyList<MultipartUpload> Uploads,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextKeyMarker,
    string? NextUploadIdMarker);

/// <summary>
/// The most bytes one PutObject, UploadPart or CopyObject may store: S3's single-PUT limit (5 GiB) unless a
/// test or a small deployment sets less. More is refused (EntityTooLarge) while it streams, before it is kept.
/// </summary>
public sealed record ObjectLimits(long MaxUploadBytes = ObjectLimits.S3MaxUploadBytes)
{
    public const long S3MaxUploadBytes = 5L * 1024 * 1024 * 1024;
}

/// <summary>Why an object operation was refused, in S3's terms (each dialect renders its own error).</summary>
public enum ObjectError
{
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    BucketNotEmpty,
    BucketAlreadyOwnedByYou,
    InvalidBucketName,
    InvalidKey,
    InvalidRange,
    BadDigest,
    EntityTooSmall,
    EntityTooLarge,
    InvalidPart,
    InvalidPartOrder,
    InvalidArgument,
    InvalidRequest,
}

public sealed class ObjectStoreException(ObjectError error, string message) : Exception(message)
{
    public ObjectError Error { get; } = error;
}
