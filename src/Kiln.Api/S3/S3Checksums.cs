using Kiln.Core.Objects;

namespace Kiln.Api.S3;

/// <summary>
/// Reads the integrity claims of an upload (Content-MD5, one <c>x-amz-checksum-*</c> header or the trailer
/// <c>x-amz-trailer</c> announces) and writes stored checksums back as S3 does. The computing is
/// <see cref="ChecksumHasher"/>'s; this is only S3's HTTP spelling of it.
/// </summary>
internal static class S3Checksums
{
    private const string Prefix = "x-amz-checksum-";

    public static string HeaderName(ChecksumAlgorithm algorithm) => Prefix + ObjectChecksum.Name(algorithm).ToLowerInvariant();

    /// <summary>The XML element S3 names a checksum by (<c>ChecksumCRC32</c>, …).</summary>
    public static string ElementName(ChecksumAlgorithm algorithm) => "Checksum" + ObjectChecksum.Name(algorithm);

    public static ContentChecks Read(HttpRequest request, Stream body)
    {
        var claims = Enum.GetValues<ChecksumAlgorithm>()
            .Select(algorithm => (Algorithm: algorithm, Value: request.Headers[HeaderName(algorithm)].ToString()))
            .Where(claim => claim.Value.Length > 0)
            .ToList();
        var trailer = request.Headers["x-amz-trailer"].ToString().Trim();
        ChecksumAlgorithm? trailed = null;
        if (trailer.Length > 0)
        {
            if (!trailer.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || !ObjectChecksum.TryParseName(trailer[Prefix.Length..], out var algorithm))
            {
                throw new ObjectStoreException(ObjectError.InvalidRequest, $"The value specified in the x-amz-trailer header is not supported: {trailer}");
            }

            trailed = algorithm;
        }

        if (claims.Count + (trailed is null ? 0 : 1) > 1)
        {
            throw new ObjectStoreException(ObjectError.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
        }

        var md5 = request.Headers.ContentMD5.FirstOrDefault();
        if (claims.Count == 1)
        {
            var (algorithm, value) = claims[0];
            return ObjectChecksum.IsWellFormed(algorithm, value)
                ? new ContentChecks(md5, algorithm, () => value)
                : throw new ObjectStoreException(ObjectError.InvalidRequest, $"Value for {HeaderName(algorithm)} header is invalid.");
        }

        if (trailed is { } fromTrailer)
        {
            return new ContentChecks(md5, fromTrailer, () => TrailerValue(body, fromTrailer));
        }

        // An algorithm named without a value: S3 computes that checksum and keeps it.
        var named = request.Headers["x-amz-sdk-checksum-algorithm"].ToString();
        return new ContentChecks(md5, ObjectChecksum.TryParseName(named, out var sdk) ? sdk : null);
    }

    /// <summary>The algorithm a CreateMultipartUpload or CopyObject asks for (<c>x-amz-checksum-algorithm</c>), if any.</summary>
    public static ChecksumAlgorithm? RequestedAlgorithm(HttpRequest request)
    {
        var name = request.Headers["x-amz-checksum-algorithm"].ToString();
        if (name.Length == 0)
        {
            return null;
        }

        return ObjectChecksum.TryParseName(name, out var algorithm)
            ? algorithm
            : throw new ObjectStoreException(ObjectError.InvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    }

    public static void Write(HttpResponse response, ObjectChecksum? checksum)
    {
        if (checksum is not null)
        {
            response.Headers[HeaderName(checksum.Algorithm)] = checksum.Value;
            response.Headers["x-amz-checksum-type"] = checksum.IsComposite ? "COMPOSITE" : "FULL_OBJECT";
        }
    }

    /// <summary>GetObject and HeadObject return the stored checksum only when asked to, and not for part of the object.</summary>
    public static bool Requested(HttpRequest request) =>
        string.Equals(request.Headers["x-amz-checksum-mode"].ToString(), "ENABLED", StringComparison.OrdinalIgnoreCase)
        && request.Headers.Range.Count == 0;

    private static string TrailerValue(Stream body, ChecksumAlgorithm algorithm)
    {
        var name = HeaderName(algorithm);
        var value = (body as AwsChunkedStream)?.Trailers.GetValueOrDefault(name);
        if (value is null)
        {
            throw new ObjectStoreException(ObjectError.InvalidRequest, $"The x-amz-trailer header named {name}, but the body carried no such trailer.");
        }

        return ObjectChecksum.IsWellFormed(algorithm, value)
            ? value
            : throw new ObjectStoreException(ObjectError.InvalidRequest, $"Value for {name} trailing header is invalid.");
    }
}
