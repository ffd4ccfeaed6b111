using System.Buffers;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;

namespace Kiln.Artifacts.S3;

/// <summary>
/// Artifacts as objects in an S3-compatible bucket, each at <c>{prefix}/{path}</c>. Folders are key prefixes: a
/// folder exists while some object lies under it. Writes stream through one part-sized buffer: a body that fits
/// in one part is one PutObject, a longer one a multipart upload that is completed only once the whole body was
/// read (and aborted otherwise), so readers see the old object or the new one, never a part.
/// </summary>
public sealed class S3ArtifactStore : IArtifactStore
{
    /// <summary>8 MiB: above S3's 5 MiB minimum part, small enough that a write holds little memory.</summary>
    public const int DefaultPartSize = 8 * 1024 * 1024;

    private const int MinimumPartSize = 5 * 1024 * 1024;
    private const int DeleteBatch = 1000;

    private readonly IAmazonS3 _client;
    private readonly string _keyPrefix;
    private readonly int _partSize;
    private readonly int _listPageSize;

    /// <param name="client">The S3 client (endpoint, credentials, retries).</param>
    /// <param name="bucket">The bucket, which must exist.</param>
    /// <param name="prefix">A normalized folder inside the bucket ("" for the whole bucket).</param>
    /// <param name="partSize">Bytes per multipart part; at least S3's 5 MiB minimum.</param>
    /// <param name="listPageSize">Keys asked for per listing request (S3 answers at most 1000).</param>
    public S3ArtifactStore(IAmazonS3 client, string bucket, string prefix, int partSize = DefaultPartSize, int listPageSize = 1000)
    {
        _listPageSize = listPageSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, MinimumPartSize);
        _client = client;
        Bucket = bucket;
        Prefix = ArtifactPath.Normalize(prefix);
        _keyPrefix = Prefix.Length == 0 ? "" : Prefix + "/";
        _partSize = partSize;
    }

    public string Bucket { get; }

    public string Prefix { get; }

    /// <summary>Where this store lives, as a URI (for logs and the health report).</summary>
    public string Uri => $"s3://{Bucket}/{Prefix}";

    /// <summary>Lists one key under the store's prefix: fails when the bucket is missing, unreachable or not ours to read.</summary>
    public async Task CheckReachableAsync(CancellationToken ct = default) =>
        await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = _keyPrefix, MaxKeys = 1 }, ct).ConfigureAwait(false);

    public async Task WriteAsync(string path, Stream content, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        if (normalized.Length == 0 || await HasChildrenAsync(FolderKey(normalized), ct).ConfigureAwait(false))
        {
            throw KilnException.InvalidParameter($"Invalid path: {path} is a directory");
        }

        await RefuseFileAncestorsAsync(normalized, ct).ConfigureAwait(false);
        var key = _keyPrefix + normalized;
        var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            var filled = await FillAsync(content, buffer, ct).ConfigureAwait(false);
            if (filled < _partSize)
            {
                // The whole body was read (and any digest it carries checked) before anything is stored.
                using var body = new MemoryStream(buffer, 0, filled, writable: false);
                await _client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = body, AutoCloseStream = false }, ct).ConfigureAwait(false);
                return;
            }

            await UploadInPartsAsync(key, content, buffer, filled, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<Stream?> OpenReadAsync(string path, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        if (normalized.Length == 0)
        {
            return null;
        }

        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = _keyPrefix + normalized }, ct).ConfigureAwait(false);
            return new S3ReadStream(_client, Bucket, _keyPrefix + normalized, response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ArtifactEntry?> StatAsync(string path, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        if (normalized.Length == 0)
        {
            return new ArtifactEntry("", true, null);
        }

        if (await SizeAsync(normalized, ct).ConfigureAwait(false) is { } size)
        {
            return new ArtifactEntry(normalized, false, size);
        }

        return await HasChildrenAsync(FolderKey(normalized), ct).ConfigureAwait(false) ? new ArtifactEntry(normalized, true, null) : null;
    }

    public async Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string path, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        var folder = FolderKey(normalized);
        var entries = new List<ArtifactEntry>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = folder, Delimiter = "/", MaxKeys = _listPageSize };
        do
        {
            var page = await _client.ListObjectsV2Async(request, ct).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                if (ChildName(item.Key, folder, isFolder: false) is { } name)
                {
                    entries.Add(new ArtifactEntry(ArtifactPath.Combine(normalized, name), false, item.Size ?? 0));
                }
            }

            foreach (var common in page.CommonPrefixes ?? [])
            {
                if (ChildName(common, folder, isFolder: true) is { } name)
                {
                    entries.Add(new ArtifactEntry(ArtifactPath.Combine(normalized, name), true, null));
                }
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        // The root always exists, as the file system store's root folder does; any other folder only while it holds something.
        return entries.Count == 0 && normalized.Length > 0
            ? null
            : entries.OrderBy(entry => entry.Path, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        if (normalized.Length == 0)
        {
            return false;
        }

        if (await SizeAsync(normalized, ct).ConfigureAwait(false) is not null)
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = _keyPrefix + normalized }, ct).ConfigureAwait(false);
            return true;
        }

        var deleted = false;
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = FolderKey(normalized), MaxKeys = Math.Min(_listPageSize, DeleteBatch) };
        do
        {
            var page = await _client.ListObjectsV2Async(request, ct).ConfigureAwait(false);
            var keys = (page.S3Objects ?? []).Select(item => new KeyVersion { Key = item.Key }).ToList();
            if (keys.Count > 0)
            {
                await _client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = Bucket, Objects = keys, Quiet = true }, ct).ConfigureAwait(false);
                deleted = true;
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return deleted;
    }

    private async Task UploadInPartsAsync(string key, Stream content, byte[] buffer, int filled, CancellationToken ct)
    {
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key }, ct).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            while (filled > 0)
            {
                var number = parts.Count + 1;
                using var body = new MemoryStream(buffer, 0, filled, writable: false);
                var part = await _client.UploadPartAsync(
                    new UploadPartRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartNumber = number, InputStream = body, PartSize = filled },
                    ct).ConfigureAwait(false);
                parts.Add(new PartETag(number, part.ETag));
                filled = await FillAsync(content, buffer, ct).ConfigureAwait(false);
            }

            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartETags = parts },
                ct).ConfigureAwait(false);
        }
        catch
        {
            // The body failed (a digest mismatch, a size limit, a dropped client) or S3 did: nothing is published.
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads until the buffer's first part-size bytes are full or the stream ends; returns how many were read.</summary>
    private async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (filled < _partSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, _partSize - filled), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>A file cannot hold files: writing <c>a/b/c</c> is refused while <c>a</c> or <c>a/b</c> is a file.</summary>
    private async Task RefuseFileAncestorsAsync(string normalized, CancellationToken ct)
    {
        var ancestors = new List<string>();
        for (var slash = normalized.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = normalized.IndexOf('/', slash + 1))
        {
            ancestors.Add(normalized[..slash]);
        }

        var sizes = await Task.WhenAll(ancestors.Select(ancestor => SizeAsync(ancestor, ct))).ConfigureAwait(false);
        for (var i = 0; i < ancestors.Count; i++)
        {
            if (sizes[i] is not null)
            {
                throw KilnException.InvalidParameter($"Invalid path: {ancestors[i]} is a file, not a directory");
            }
        }
    }

    private async Task<long?> SizeAsync(string normalized, CancellationToken ct)
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = _keyPrefix + normalized }, ct).ConfigureAwait(false);
            return head.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<bool> HasChildrenAsync(string folderKey, CancellationToken ct)
    {
        var page = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = folderKey, MaxKeys = 1 }, ct).ConfigureAwait(false);
        return page.S3Objects is { Count: > 0 };
    }

    private string FolderKey(string normalized) => normalized.Length == 0 ? _keyPrefix : _keyPrefix + normalized + "/";

    /// <summary>The child's name under <paramref name="folder"/>; null for keys no artifact path can name (a folder marker, an empty or dot segment written by another tool).</summary>
    private static string? ChildName(string key, string folder, bool isFolder)
    {
        var name = key[folder.Length..];
        if (isFolder)
        {
            name = name[..^1];
        }

        return name is "" or "." or ".." || name.Contains('/', StringComparison.Ordinal) ? null : name;
    }
}
