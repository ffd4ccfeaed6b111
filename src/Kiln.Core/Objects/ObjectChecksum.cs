using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Kiln.Core.Objects;

/// <summary>The additional checksums S3 verifies and stores (<c>x-amz-checksum-*</c>).</summary>
public enum ChecksumAlgorithm
{
    Crc32,
    Crc32C,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// <summary>
/// A stored checksum: base64 of the digest, as S3 writes it. A multipart object's composite checksum is the
/// checksum of its parts' checksums followed by <c>-N</c>.
/// </summary>
public sealed record ObjectChecksum(ChecksumAlgorithm Algorithm, string Value)
{
    public bool IsComposite => Value.Contains('-', StringComparison.Ordinal);

    /// <summary>S3's name for the algorithm (<c>CRC32</c>, <c>SHA256</c>, …), as in messages and XML.</summary>
    public static string Name(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => "CRC32",
        ChecksumAlgorithm.Crc32C => "CRC32C",
        ChecksumAlgorithm.Crc64Nvme => "CRC64NVME",
        ChecksumAlgorithm.Sha1 => "SHA1",
        _ => "SHA256",
    };

    public static bool TryParseName(string? name, out ChecksumAlgorithm algorithm)
    {
        foreach (var candidate in Enum.GetValues<ChecksumAlgorithm>())
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                algorithm = candidate;
                return true;
            }
        }

        algorithm = default;
        return false;
    }

    /// <summary>Whether <paramref name="value"/> is base64 of a digest of this algorithm's length.</summary>
    public static bool IsWellFormed(ChecksumAlgorithm algorithm, string value)
    {
        var bytes = new byte[value.Length];
        return Convert.TryFromBase64String(value, bytes, out var written) && written == DigestLength(algorithm);
    }

    /// <summary>The checksum of the checksums of the parts, in part order, with the part count: S3's COMPOSITE type.</summary>
    public static ObjectChecksum Composite(ChecksumAlgorithm algorithm, IReadOnlyList<ObjectChecksum> parts)
    {
        using var hasher = new ChecksumHasher(algorithm);
        foreach (var part in parts)
        {
            hasher.Append(Convert.FromBase64String(part.Value));
        }

        return new ObjectChecksum(algorithm, $"{hasher.Finish().Value}-{parts.Count}");
    }

    private static int DigestLength(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C => 4,
        ChecksumAlgorithm.Crc64Nvme => 8,
        ChecksumAlgorithm.Sha1 => 20,
        _ => 32,
    };
}

/// <summary>Computes one S3 checksum incrementally. CRCs are written big-endian, as S3 encodes them.</summary>
public sealed class ChecksumHasher(ChecksumAlgorithm algorithm) : IDisposable
{
    private readonly Crc32? _crc32 = algorithm switch
    {
        ChecksumAlgorithm.Crc32 => new Crc32(),
        ChecksumAlgorithm.Crc32C => new Crc32(Crc32ParameterSet.Crc32C),
        _ => null,
    };

    private readonly Crc64? _crc64 = algorithm == ChecksumAlgorithm.Crc64Nvme ? new Crc64(Crc64ParameterSet.Nvme) : null;

    private readonly IncrementalHash? _sha = algorithm switch
    {
        ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        ChecksumAlgorithm.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        _ => null,
    };

    public ChecksumAlgorithm Algorithm => algorithm;

    public static ObjectChecksum Compute(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        using var hasher = new ChecksumHasher(algorithm);
        hasher.Append(data);
        return hasher.Finish();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _crc32?.Append(data);
        _crc64?.Append(data);
        _sha?.AppendData(data);
    }

    /// <summary>The checksum of everything appended; the hasher starts over.</summary>
    public ObjectChecksum Finish()
    {
        byte[] digest;
        if (_crc32 is not null)
        {
            digest = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(digest, _crc32.GetCurrentHashAsUInt32());
            _crc32.Reset();
        }
        else if (_crc64 is not null)
        {
            digest = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(digest, _crc64.GetCurrentHashAsUInt64());
            _crc64.Reset();
        }
        else
        {
            digest = _sha!.GetHashAndReset();
        }

        return new ObjectChecksum(algorithm, Convert.ToBase64String(digest));
    }

    public void Dispose() => _sha?.Dispose();
}

/// <summary>
/// What a client claims about a body it sends: a Content-MD5 and/or one S3 checksum. The checksum's value may
/// only be known once the body has been read (an aws-chunked trailer), so it is asked for at the end.
/// With an algorithm and no claimed value, the checksum is computed and stored, not verified. A declared length
/// (Content-Length, or x-amz-decoded-content-length for aws-chunked) lets an oversized body be refused unread.
/// </summary>
public sealed record ContentChecks(string? ContentMd5 = null, ChecksumAlgorithm? Algorithm = null, Func<string?>? ClaimedChecksum = null, long? DeclaredLength = null)
{
    public static ContentChecks Compute(ChecksumAlgorithm? algorithm) => new(Algorithm: algorithm);
}
