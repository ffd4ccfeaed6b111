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
    IReadOnlyDictionary<string, string> Metadata);

public sealed record MultipartUpload(
    string UploadId,
    string Bucket,
    string Key,
    DateTimeOffset Initiated,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record UploadedPart(int Number, long Size, string ETag, DateTimeOffset LastModified);

/// <summary>One page of a listing: objects and, with a delimiter, the common prefixes rolled up.</summary>
public sealed record ObjectListing(
    IReadOnlyList<ObjectInfo> Objects,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextMarker);

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
    InvalidPart,
    InvalidPartOrder,
    InvalidArgument,
}

public sealed class ObjectStoreException(ObjectError error, string message) : Exception(message)
{
    public ObjectError Error { get; } = error;
}
