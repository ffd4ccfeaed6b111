using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Core.Artifacts;

namespace Kiln.Core.Objects;

/// <summary>
/// S3's object model over Kiln's storage: buckets and object metadata in <see cref="IObjectIndex"/>, bytes in
/// a file tree of their own at <c>{bucket}/{key}</c> (uploads in progress under <c>_uploads/</c>, a name no
/// bucket can have). The S3 endpoint and the jobs that read and write
/// <c>s3://</c> URIs both go through here, so listings always agree with what is stored.
/// </summary>
public sealed partial class ObjectStore(IObjectIndex index, IArtifactStore files, TimeProvider clock, ObjectLimits? limits = null)
{
    private readonly long _maxUploadBytes = (limits ?? new ObjectLimits()).MaxUploadBytes;

    public const long MinimumPartSize = 5 * 1024 * 1024;
    public const int MaxKeyBytes = 1024;

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketNamePattern();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+$")]
    private static partial Regex IpAddressPattern();

    public static string BytesPath(string bucket, string key) => ArtifactPath.Combine(bucket, ArtifactPath.Normalize(key));

    /// <summary>S3's bucket naming rules (general purpose buckets).</summary>
    public static void ValidateBucketName(string name)
    {
        if (!BucketNamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal) || IpAddressPattern().IsMatch(name)
            || name.StartsWith("xn--", StringComparison.Ordinal) || name.EndsWith("-s3alias", StringComparison.Ordinal) || name.Contains(".-", StringComparison.Ordinal) || name.Contains("-.", StringComparison.Ordinal))
        {
            throw new ObjectStoreException(ObjectError.InvalidBucketName, "The specified bucket is not valid.");
        }
    }

    /// <summary>
    /// Keys become file paths, so a key that could climb out of its bucket (<c>..</c> or <c>.</c> segments, a
    /// leading slash, backslashes, empty segments, control characters) is refused rather than rewritten.
    /// A trailing slash is allowed: it names a folder marker.
    /// </summary>
    public static void ValidateKey(string key)
    {
        if (key.Length == 0 || Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new ObjectStoreException(ObjectError.InvalidKey, key.Length == 0 ? "The object key must not be empty." : "Your key is too long: at most 1024 bytes.");
        }

        var body = key.EndsWith('/') ? key[..^1] : key;
        var segments = body.Split('/');
        if (key.StartsWith('/') || key.Contains('\\', StringComparison.Ordinal) || key.Any(char.IsControl)
            || segments.Any(segment => segment is "" or "." or ".."))
        {
            throw new ObjectStoreException(ObjectError.InvalidKey, $"Kiln refuses the object key '{key}': keys must not contain '.' or '..' segments, empty segments, a leading '/', backslashes or control characters.");
        }
    }

    public async Task CreateBucketAsync(string name, CancellationToken ct = default)
    {
        if (!await EnsureBucketAsync(name, ct).ConfigureAwait(false))
        {
            throw new ObjectStoreException(ObjectError.BucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.");
        }
    }

    /// <summary>Creates the bucket unless it exists; true when it was created. For Kiln's own writers, which
    /// would otherwise throw and catch BucketAlreadyOwnedByYou on every write.</summary>
    public async Task<bool> EnsureBucketAsync(string name, CancellationToken ct = default)
    {
        ValidateBucketName(name);
        return await index.CreateBucketAsync(name, clock.GetUtcNow(), ct).ConfigureAwait(false);
    }

    public async Task<BucketInfo> GetBucketAsync(string name, CancellationToken ct = default) =>
        await index.FindBucketAsync(name, ct).ConfigureAwait(false)
        ?? throw new ObjectStoreException(ObjectError.NoSuchBucket, "The specified bucket does not exist");

    public Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken ct = default) => index.ListBucketsAsync(ct);

    public async Task DeleteBucketAsync(string name, CancellationToken ct = default)
    {
        await GetBucketAsync(name, ct).ConfigureAwait(false);
        if (!await index.DeleteBucketAsync(name, ct).ConfigureAwait(false))
        {
            throw new ObjectStoreException(ObjectError.BucketNotEmpty, "The bucket you tried to delete is not empty");
        }

        await files.DeleteAsync(name, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores an object, streaming; when a digest the client claims (<paramref name="checks"/>: Content-MD5, an S3
    /// checksum) does not match, nothing is stored and the old object stays untouched.
    /// </summary>
    public async Task<ObjectInfo> PutAsync(string bucket, string key, Stream content, string? contentType, IReadOnlyDictionary<string, string>? metadata, ContentChecks? checks = null, CancellationToken ct = default)
    {
        ValidateKey(key);
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        RefuseDeclaredSize(checks?.DeclaredLength);
        var expected = ParseContentMd5(checks?.ContentMd5);
        long size = 0;
        string etag;
        await using var hashing = new HashingStream(content, expected, checks, _maxUploadBytes);
        if (key.EndsWith('/'))
        {
            // A folder marker keeps no bytes; what was sent is still held to its claims.
            await hashing.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            etag = Convert.ToHexStringLower(MD5.HashData(ReadOnlySpan<byte>.Empty));
        }
        else
        {
            await files.WriteAsync(BytesPath(bucket, key), hashing, ct).ConfigureAwait(false);
            size = hashing.Length;
            etag = Convert.ToHexStringLower(hashing.Digest);
        }

        var info = new ObjectInfo(bucket, key, size, $"\"{etag}\"", contentType ?? "binary/octet-stream", clock.GetUtcNow(), metadata ?? new Dictionary<string, string>(), hashing.Checksum);
        await index.PutObjectAsync(info, ct).ConfigureAwait(false);
        return info;
    }

    public async Task<ObjectInfo> HeadAsync(string bucket, string key, CancellationToken ct = default)
    {
        ValidateKey(key);
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        return await index.FindObjectAsync(bucket, key, ct).ConfigureAwait(false)
            ?? throw new ObjectStoreException(ObjectError.NoSuchKey, "The specified key does not exist.");
    }

    /// <summary>Opens an object for reading (the stream can seek, for ranges).</summary>
    public async Task<(ObjectInfo Info, Stream Content)> GetAsync(string bucket, string key, CancellationToken ct = default)
    {
        var info = await HeadAsync(bucket, key, ct).ConfigureAwait(false);
        if (key.EndsWith('/'))
        {
            return (info, new MemoryStream([], writable: false));
        }

        var stream = await files.OpenReadAsync(BytesPath(bucket, key), ct).ConfigureAwait(false)
            ?? throw new ObjectStoreException(ObjectError.NoSuchKey, "The specified key does not exist.");
        return (info, stream);
    }

    /// <summary>Deletes an object; deleting a missing key succeeds, as in S3.</summary>
    public async Task DeleteAsync(string bucket, string key, CancellationToken ct = default)
    {
        ValidateKey(key);
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        if (await index.DeleteObjectAsync(bucket, key, ct).ConfigureAwait(false) && !key.EndsWith('/'))
        {
            await files.DeleteAsync(BytesPath(bucket, key), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Lists keys in order after <paramref name="after"/>. With a delimiter, keys sharing the part of the key
    /// up to the first delimiter after the prefix roll up into one common prefix; each object and each
    /// prefix counts toward <paramref name="maxKeys"/>.
    /// </summary>
    public async Task<ObjectListing> ListAsync(string bucket, string prefix, string? delimiter, string after, int maxKeys, CancellationToken ct = default)
    {
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        var objects = new List<ObjectInfo>();
        var prefixes = new List<string>();
        var cursor = after;
        string? lastReturned = null;
        while (objects.Count + prefixes.Count < maxKeys)
        {
            var batch = await index.ListObjectsAsync(bucket, prefix, cursor, Math.Max(maxKeys, 100), ct).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return new ObjectListing(objects, prefixes, false, null);
            }

            foreach (var item in batch)
            {
                if (objects.Count + prefixes.Count >= maxKeys)
                {
                    return new ObjectListing(objects, prefixes, true, lastReturned);
                }

                var rest = item.Key[prefix.Length..];
                var cut = string.IsNullOrEmpty(delimiter) ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
                if (cut >= 0)
                {
                    var common = prefix + rest[..(cut + delimiter!.Length)];
                    prefixes.Add(common);
                    lastReturned = common;
                    // Skip every other key under this prefix.
                    cursor = common + "\U0010FFFF";
                    break;
                }

                objects.Add(item);
                lastReturned = item.Key;
                cursor = item.Key;
            }
        }

        var more = (await index.ListObjectsAsync(bucket, prefix, cursor, 1, ct).ConfigureAwait(false)).Count > 0;
        return new ObjectListing(objects, prefixes, more, more ? lastReturned : null);
    }

    /// <summary>Lists uploads in progress like <see cref="ListAsync"/> lists objects; uploads of one key page by upload id.</summary>
    public async Task<UploadListing> ListUploadsAsync(string bucket, string prefix, string? delimiter, string keyMarker, string? uploadIdMarker, int maxUploads, CancellationToken ct = default)
    {
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        var uploads = new List<MultipartUpload>();
        var prefixes = new List<string>();
        string? RollUp(string key)
        {
            if (string.IsNullOrEmpty(delimiter) || !key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }

            var cut = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
            return cut < 0 ? null : key[..(cut + delimiter.Length)];
        }

        var (cursorKey, cursorId) = (keyMarker, keyMarker.Length == 0 ? null : uploadIdMarker);
        if (cursorId is null && RollUp(keyMarker) == keyMarker)
        {
            // The marker is a common prefix already returned: everything under it was rolled up into it.
            cursorKey = keyMarker + "\U0010FFFF";
        }

        (string? Key, string? Id) last = (null, null);
        while (uploads.Count + prefixes.Count < maxUploads)
        {
            var batch = await index.ListUploadsAsync(bucket, prefix, cursorKey, cursorId, Math.Max(maxUploads, 100), ct).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return new UploadListing(uploads, prefixes, false, null, null);
            }

            foreach (var upload in batch)
            {
                if (uploads.Count + prefixes.Count >= maxUploads)
                {
                    return new UploadListing(uploads, prefixes, true, last.Key, last.Id);
                }

                if (RollUp(upload.Key) is { } common)
                {
                    prefixes.Add(common);
                    last = (common, null);
                    (cursorKey, cursorId) = (common + "\U0010FFFF", null);
                    break;
                }

                uploads.Add(upload);
                last = (upload.Key, upload.UploadId);
                (cursorKey, cursorId) = (upload.Key, upload.UploadId);
            }
        }

        var more = (await index.ListUploadsAsync(bucket, prefix, cursorKey, cursorId, 1, ct).ConfigureAwait(false)).Count > 0;
        return more ? new UploadListing(uploads, prefixes, true, last.Key, last.Id) : new UploadListing(uploads, prefixes, false, null, null);
    }

    public async Task<MultipartUpload> CreateUploadAsync(string bucket, string key, string? contentType, IReadOnlyDictionary<string, string>? metadata, ChecksumAlgorithm? checksumAlgorithm = null, CancellationToken ct = default)
    {
        ValidateKey(key);
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        var upload = new MultipartUpload(Guid.NewGuid().ToString("N"), bucket, key, clock.GetUtcNow(), contentType ?? "binary/octet-stream", metadata ?? new Dictionary<string, string>(), checksumAlgorithm);
        await index.CreateUploadAsync(upload, ct).ConfigureAwait(false);
        return upload;
    }

    /// <summary>Stores one part; in an upload that declared a checksum algorithm the part gets that checksum (verified when the client sent it).</summary>
    public async Task<UploadedPart> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, Stream content, ContentChecks? checks = null, CancellationToken ct = default)
    {
        var upload = await GetUploadAsync(bucket, key, uploadId, ct).ConfigureAwait(false);
        ValidatePartNumber(partNumber);
        RefuseDeclaredSize(checks?.DeclaredLength);
        var expected = ParseContentMd5(checks?.ContentMd5);
        if (upload.ChecksumAlgorithm is { } declared && checks?.Algorithm is { } sent && sent != declared)
        {
            throw new ObjectStoreException(ObjectError.InvalidRequest, $"Checksum Type mismatch occurred, expected checksum Type: {ObjectChecksum.Name(declared).ToLowerInvariant()}, actual checksum Type: {ObjectChecksum.Name(sent).ToLowerInvariant()}");
        }

        checks = (checks ?? new ContentChecks()) with { Algorithm = checks?.Algorithm ?? upload.ChecksumAlgorithm };
        return await StorePartAsync(upload, partNumber, content, expected, checks, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// UploadPartCopy: a part made of another object's bytes, all of them or the inclusive range
    /// <paramref name="range"/>, which must lie inside the source.
    /// </summary>
    public async Task<UploadedPart> CopyPartAsync(string bucket, string key, string uploadId, int partNumber, string sourceBucket, string sourceKey, (long First, long Last)? range, CancellationToken ct = default)
    {
        var upload = await GetUploadAsync(bucket, key, uploadId, ct).ConfigureAwait(false);
        ValidatePartNumber(partNumber);
        var (source, content) = await GetAsync(sourceBucket, sourceKey, ct).ConfigureAwait(false);
        await using (content)
        {
            var (start, length) = (0L, source.Size);
            if (range is var (first, last))
            {
                if (first > last || last >= source.Size)
                {
                    throw new ObjectStoreException(ObjectError.InvalidArgument, $"Range specified is not valid for source object of size: {source.Size}");
                }

                (start, length) = (first, last - first + 1);
                content.Seek(start, SeekOrigin.Begin);
            }

            await using var slice = new BoundedStream(content, length);
            return await StorePartAsync(upload, partNumber, slice, null, ContentChecks.Compute(upload.ChecksumAlgorithm), ct).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<UploadedPart>> ListPartsAsync(string bucket, string key, string uploadId, CancellationToken ct = default)
    {
        await GetUploadAsync(bucket, key, uploadId, ct).ConfigureAwait(false);
        return await index.ListPartsAsync(uploadId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Joins the named parts, in order, into the object; its ETag is the MD5 of the parts' MD5s, dash, the part count,
    /// and when the parts have checksums, its checksum is the checksum of theirs, dash, the part count.
    /// </summary>
    public async Task<ObjectInfo> CompleteUploadAsync(string bucket, string key, string uploadId, IReadOnlyList<CompletedPart> parts, CancellationToken ct = default)
    {
        var upload = await GetUploadAsync(bucket, key, uploadId, ct).ConfigureAwait(false);
        if (parts.Count == 0)
        {
            throw new ObjectStoreException(ObjectError.InvalidArgument, "You must specify at least one part");
        }

        for (var i = 1; i < parts.Count; i++)
        {
            if (parts[i].Number <= parts[i - 1].Number)
            {
                throw new ObjectStoreException(ObjectError.InvalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number.");
            }
        }

        var uploaded = (await index.ListPartsAsync(uploadId, ct).ConfigureAwait(false)).ToDictionary(part => part.Number);
        var chosen = new List<UploadedPart>();
        foreach (var (number, etag, checksum) in parts)
        {
            if (!uploaded.TryGetValue(number, out var part) || Unquote(part.ETag) != Unquote(etag)
                || (checksum is not null && (part.Checksum is null || checksum != part.Checksum)))
            {
                throw new ObjectStoreException(ObjectError.InvalidPart, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
            }

            if (upload.ChecksumAlgorithm is { } declared && checksum is null)
            {
                throw new ObjectStoreException(ObjectError.InvalidRequest, $"The upload was created using a {ObjectChecksum.Name(declared).ToLowerInvariant()} checksum. The complete request must include the checksum for each part. It was missing for part {number} in the request.");
            }

            chosen.Add(part);
        }

        if (chosen.SkipLast(1).Any(part => part.Size < MinimumPartSize))
        {
            throw new ObjectStoreException(ObjectError.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed object size.");
        }

        var streams = new List<Stream>();
        try
        {
            foreach (var part in chosen)
            {
                streams.Add(await files.OpenReadAsync(PartPath(uploadId, part.Number), ct).ConfigureAwait(false)
                    ?? throw new ObjectStoreException(ObjectError.InvalidPart, $"Part {part.Number} is missing."));
            }

            await using var joined = new ConcatenatedStream(streams);
            await files.WriteAsync(BytesPath(bucket, key), joined, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }

        var digests = chosen.SelectMany(part => Convert.FromHexString(Unquote(part.ETag))).ToArray();
        var etagText = $"\"{Convert.ToHexStringLower(MD5.HashData(digests))}-{chosen.Count}\"";
        var algorithm = chosen[0].Checksum?.Algorithm;
        var composite = algorithm is { } common && chosen.All(part => part.Checksum?.Algorithm == common)
            ? ObjectChecksum.Composite(common, chosen.Select(part => part.Checksum!).ToList())
            : null;
        var info = new ObjectInfo(bucket, key, chosen.Sum(part => part.Size), etagText, upload.ContentType, clock.GetUtcNow(), upload.Metadata, composite);
        await index.PutObjectAsync(info, ct).ConfigureAwait(false);
        await DiscardUploadAsync(uploadId, ct).ConfigureAwait(false);
        return info;
    }

    public async Task AbortUploadAsync(string bucket, string key, string uploadId, CancellationToken ct = default)
    {
        await GetUploadAsync(bucket, key, uploadId, ct).ConfigureAwait(false);
        await DiscardUploadAsync(uploadId, ct).ConfigureAwait(false);
    }

    private async Task<MultipartUpload> GetUploadAsync(string bucket, string key, string uploadId, CancellationToken ct)
    {
        await GetBucketAsync(bucket, ct).ConfigureAwait(false);
        var upload = await index.FindUploadAsync(uploadId, ct).ConfigureAwait(false);
        return upload is not null && upload.Bucket == bucket && upload.Key == key
            ? upload
            : throw new ObjectStoreException(ObjectError.NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");
    }

    private async Task DiscardUploadAsync(string uploadId, CancellationToken ct)
    {
        await index.DeleteUploadAsync(uploadId, ct).ConfigureAwait(false);
        await files.DeleteAsync(ArtifactPath.Combine("_uploads", uploadId), ct).ConfigureAwait(false);
    }

    private static string PartPath(string uploadId, int number) => ArtifactPath.Combine("_uploads", uploadId, number.ToString("D5", System.Globalization.CultureInfo.InvariantCulture));

    private static string Unquote(string etag) => etag.Trim('"');

    private static void ValidatePartNumber(int partNumber)
    {
        if (partNumber is < 1 or > 10_000)
        {
            throw new ObjectStoreException(ObjectError.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
        }
    }

    /// <summary>A body announced as too large is refused before any of it is read.</summary>
    private void RefuseDeclaredSize(long? declaredLength)
    {
        if (declaredLength > _maxUploadBytes)
        {
            throw HashingStream.TooLarge(_maxUploadBytes);
        }
    }

    private static byte[]? ParseContentMd5(string? contentMd5)
    {
        byte[]? expected = null;
        if (contentMd5 is not null && (!TryBase64(contentMd5, out expected) || expected.Length != 16))
        {
            throw new ObjectStoreException(ObjectError.InvalidArgument, "The Content-MD5 you specified is not valid.");
        }

        return expected;
    }

    private async Task<UploadedPart> StorePartAsync(MultipartUpload upload, int partNumber, Stream content, byte[]? expectedMd5, ContentChecks checks, CancellationToken ct)
    {
        await using var hashing = new HashingStream(content, expectedMd5, checks, _maxUploadBytes);
        await files.WriteAsync(PartPath(upload.UploadId, partNumber), hashing, ct).ConfigureAwait(false);
        var part = new UploadedPart(partNumber, hashing.Length, $"\"{Convert.ToHexStringLower(hashing.Digest)}\"", clock.GetUtcNow(), hashing.Checksum);
        await index.PutPartAsync(upload.UploadId, part, ct).ConfigureAwait(false);
        return part;
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}
