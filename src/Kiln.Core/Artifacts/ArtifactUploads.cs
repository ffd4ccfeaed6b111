using System.Globalization;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Objects;

namespace Kiln.Core.Artifacts;

/// <summary>A multipart upload in progress: the artifact it will become and how many parts it was declared with.</summary>
public sealed record ArtifactUpload(string UploadId, string Path, int PartCount, DateTimeOffset Created);

/// <summary>One stored part: its number and its ETag (the quoted MD5 of its bytes, as S3 answers).</summary>
public sealed record ArtifactUploadPart(int Number, string ETag);

/// <summary>
/// Multipart uploads into the artifact store (MLflow's mpu/create, part PUTs, mpu/complete, mpu/abort).
/// Parts wait in a staging store of their own, so the proxy never lists or serves them; complete joins
/// them into one atomic write of the artifact, checking each part against the ETag the client was given.
/// </summary>
public sealed class ArtifactUploads(IArtifactStore artifacts, IArtifactStore staging, TimeProvider clock, TimeSpan? expiry = null)
{
    /// <summary>S3's limit, which MLflow's S3 repository inherits.</summary>
    public const int MaxParts = 10_000;

    /// <summary>How long an upload may stay open; after that its parts are reclaimed (a client that crashed never aborts).</summary>
    public TimeSpan Expiry { get; } = expiry ?? TimeSpan.FromDays(7);

    private const string RecordName = "upload.json";

    public async Task<ArtifactUpload> CreateAsync(string path, long? partCount, CancellationToken ct = default)
    {
        var target = ArtifactPath.Normalize(path);
        if (target.Length == 0)
        {
            throw KilnException.InvalidParameter($"Invalid path: {path}");
        }

        if (partCount is not (>= 1 and <= MaxParts))
        {
            throw KilnException.InvalidParameter($"Invalid value {partCount?.ToString(CultureInfo.InvariantCulture) ?? "(none)"} for parameter 'num_parts': it must be between 1 and {MaxParts}.");
        }

        if (await artifacts.StatAsync(target, ct).ConfigureAwait(false) is { IsDirectory: true })
        {
            throw KilnException.InvalidParameter($"Invalid path: {path} is a directory");
        }

        for (var slash = target.LastIndexOf('/'); slash > 0; slash = target.LastIndexOf('/', slash - 1))
        {
            if (await artifacts.StatAsync(target[..slash], ct).ConfigureAwait(false) is { IsDirectory: false })
            {
                throw KilnException.InvalidParameter($"Invalid path: {target[..slash]} is a file, not a directory");
            }
        }

        await PurgeExpiredAsync(ct).ConfigureAwait(false);
        var upload = new ArtifactUpload(Guid.NewGuid().ToString("N"), target, (int)partCount, clock.GetUtcNow());
        var record = JsonSerializer.SerializeToUtf8Bytes(new UploadRecord(upload.Path, upload.PartCount, upload.Created.ToUnixTimeMilliseconds()));
        await staging.WriteAsync(ArtifactPath.Combine(upload.UploadId, RecordName), new MemoryStream(record), ct).ConfigureAwait(false);
        return upload;
    }

    public async Task<ArtifactUploadPart> UploadPartAsync(string? uploadId, long partNumber, Stream content, CancellationToken ct = default)
    {
        var upload = await FindAsync(uploadId, null, ct).ConfigureAwait(false);
        var number = CheckPartNumber(upload, partNumber);
        await using var hashing = new HashingStream(content, null);
        await staging.WriteAsync(PartPath(upload.UploadId, number), hashing, ct).ConfigureAwait(false);
        return new ArtifactUploadPart(number, $"\"{Convert.ToHexStringLower(hashing.Digest)}\"");
    }

    /// <summary>Joins parts 1..N, in order, into the artifact. Every declared part must be listed once with the ETag its upload returned.</summary>
    public async Task<ArtifactUpload> CompleteAsync(string? uploadId, string path, IReadOnlyList<(long Number, string? ETag)> parts, CancellationToken ct = default)
    {
        var upload = await FindAsync(uploadId, path, ct).ConfigureAwait(false);
        if (parts.Count == 0)
        {
            throw KilnException.InvalidParameter("Missing value for required parameter 'parts'.");
        }

        var expected = new List<(int Number, byte[] Digest)>();
        foreach (var (number, etag) in parts)
        {
            var checkedNumber = CheckPartNumber(upload, number);
            if (expected.Count > 0 && checkedNumber <= expected[^1].Number)
            {
                throw KilnException.InvalidParameter("The list of parts was not in ascending order. Parts must be ordered by part number, each listed once.");
            }

            expected.Add((checkedNumber, ParseETag(checkedNumber, etag)));
        }

        if (expected.Count != upload.PartCount)
        {
            var missing = Enumerable.Range(1, upload.PartCount).Except(expected.Select(part => part.Number)).First();
            throw KilnException.InvalidParameter($"Part {missing} of {upload.PartCount} is missing from the list of parts.");
        }

        var streams = new List<Stream>();
        var checkedParts = new List<Stream>();
        try
        {
            foreach (var (number, digest) in expected)
            {
                var part = await staging.OpenReadAsync(PartPath(upload.UploadId, number), ct).ConfigureAwait(false)
                    ?? throw KilnException.InvalidParameter($"Part {number} of upload {upload.UploadId} was never uploaded.");
                streams.Add(part);
                checkedParts.Add(new HashingStream(part, digest));
                streams.Add(checkedParts[^1]);
            }

            // One atomic write: a part whose bytes do not match its ETag fails it, and the artifact is untouched.
            await using var joined = new ConcatenatedStream(checkedParts);
            await artifacts.WriteAsync(upload.Path, joined, ct).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectError.BadDigest)
        {
            throw KilnException.InvalidParameter($"A part's ETag does not match the bytes stored for it; upload the part again. ({e.Message})");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }

        await staging.DeleteAsync(upload.UploadId, ct).ConfigureAwait(false);
        return upload;
    }

    public async Task AbortAsync(string? uploadId, string path, CancellationToken ct = default)
    {
        var upload = await FindAsync(uploadId, path, ct).ConfigureAwait(false);
        await staging.DeleteAsync(upload.UploadId, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes uploads older than <see cref="Expiry"/>; run on each create, so the staging store stays bounded by recent use.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken ct = default)
    {
        var purged = 0;
        var oldest = clock.GetUtcNow() - Expiry;
        foreach (var entry in await staging.ListAsync("", ct).ConfigureAwait(false) ?? [])
        {
            if (entry.IsDirectory && await ReadAsync(entry.Path, ct).ConfigureAwait(false) is { } upload && upload.Created < oldest
                && await staging.DeleteAsync(upload.UploadId, ct).ConfigureAwait(false))
            {
                purged++;
            }
        }

        return purged;
    }

    /// <summary>The upload, which must exist and (when <paramref name="path"/> is given) be for that artifact, as S3 ties an upload to its key.</summary>
    private async Task<ArtifactUpload> FindAsync(string? uploadId, string? path, CancellationToken ct)
    {
        var target = path is null ? null : ArtifactPath.Normalize(path);
        if (await ReadAsync(uploadId, ct).ConfigureAwait(false) is { } upload && (target is null || upload.Path == target)
            && upload.Created >= clock.GetUtcNow() - Expiry)
        {
            return upload;
        }

        throw KilnException.NotFound($"Multipart upload {uploadId} does not exist{(target is null ? "" : $" for {target}")}: it may never have been created, or it was completed or aborted.");
    }

    private async Task<ArtifactUpload?> ReadAsync(string? uploadId, CancellationToken ct)
    {
        if (uploadId is not { Length: 32 } || !uploadId.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        await using var stream = await staging.OpenReadAsync(ArtifactPath.Combine(uploadId, RecordName), ct).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        var record = await JsonSerializer.DeserializeAsync<UploadRecord>(stream, cancellationToken: ct).ConfigureAwait(false);
        return record is null ? null : new ArtifactUpload(uploadId, record.Path, record.Parts, DateTimeOffset.FromUnixTimeMilliseconds(record.Created));
    }

    private static int CheckPartNumber(ArtifactUpload upload, long number) =>
        number >= 1 && number <= upload.PartCount
            ? (int)number
            : throw KilnException.InvalidParameter($"Invalid part number {number}: upload {upload.UploadId} has parts 1 to {upload.PartCount}.");

    private static byte[] ParseETag(int number, string? etag)
    {
        var hex = etag?.Trim().Trim('"') ?? "";
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit)
            ? Convert.FromHexString(hex)
            : throw KilnException.InvalidParameter($"Invalid ETag '{etag}' for part {number}: use the ETag header its upload answered.");
    }

    private static string PartPath(string uploadId, int number) =>
        ArtifactPath.Combine(uploadId, number.ToString("D5", CultureInfo.InvariantCulture));

    private sealed record UploadRecord(string Path, int Parts, long Created);
}
