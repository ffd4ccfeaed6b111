namespace Kiln.Core.Objects;

/// <summary>Buckets, object metadata and multipart uploads: what S3 listings and heads read.</summary>
public interface IObjectIndex
{
    /// <summary>Creates the bucket; false when it already exists.</summary>
    Task<bool> CreateBucketAsync(string name, DateTimeOffset now, CancellationToken ct = default);

    Task<BucketInfo?> FindBucketAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken ct = default);

    /// <summary>Deletes an empty bucket; false when it still holds objects.</summary>
    Task<bool> DeleteBucketAsync(string name, CancellationToken ct = default);

    Task PutObjectAsync(ObjectInfo info, CancellationToken ct = default);

    Task<ObjectInfo?> FindObjectAsync(string bucket, string key, CancellationToken ct = default);

    Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default);

    /// <summary>Objects whose key starts with <paramref name="prefix"/> and sorts after <paramref name="after"/>, in key order.</summary>
    Task<IReadOnlyList<ObjectInfo>> ListObjectsAsync(string bucket, string prefix, string after, int limit, CancellationToken ct = default);

    Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default);

    Task<MultipartUpload?> FindUploadAsync(string uploadId, CancellationToken ct = default);

    /// <summary>
    /// A bucket's uploads whose key starts with <paramref name="prefix"/>, ordered by key, then initiation time and id,
    /// that come after the key <paramref name="keyMarker"/> or, with <paramref name="uploadIdMarker"/>, after that upload of it.
    /// </summary>
    Task<IReadOnlyList<MultipartUpload>> ListUploadsAsync(string bucket, string prefix, string keyMarker, string? uploadIdMarker, int limit, CancellationToken ct = default);

    Task PutPartAsync(string uploadId, UploadedPart part, CancellationToken ct = default);

    Task<IReadOnlyList<UploadedPart>> ListPartsAsync(string uploadId, CancellationToken ct = default);

    Task DeleteUploadAsync(string uploadId, CancellationToken ct = default);
}
