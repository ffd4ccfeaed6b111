using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Api.Security;

/// <summary>
/// AWS Signature Version 4 as a server checks it: the signature a request carries (Authorization header or presigned
/// query) is recomputed from the request and the secret of its access key (canonical request, string to sign, HMAC
/// chain of date, region, service) and compared.
/// </summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>Whether a request carries SigV4 credentials at all (header or presigned query).</summary>
    public static bool IsSigned(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith(Algorithm, StringComparison.Ordinal) || request.Query.ContainsKey("X-Amz-Algorithm");

    private const int MaxCachedSigningKeys = 10_000;
    private static readonly ConcurrentDictionary<string, (string Secret, byte[] Key)> SigningKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// The signing key of an access key for a scope (<c>DATE/REGION/SERVICE/aws4_request</c>), remembered: it changes
    /// once a day per key, region and service, and deriving it (four HMACs) was the largest part of verifying a
    /// request. A rotated secret misses the entry and derives a new key.
    /// </summary>
    public static byte[] CachedSigningKey(string accessKeyId, string secret, string scope)
    {
        var cacheKey = accessKeyId + "/" + scope;
        if (SigningKeys.TryGetValue(cacheKey, out var cached) && string.Equals(cached.Secret, secret, StringComparison.Ordinal))
        {
            return cached.Key;
        }

        var parts = scope.Split('/');
        var key = SigningKey(secret, parts[0], parts[1], parts[2]);
        if (SigningKeys.Count >= MaxCachedSigningKeys)
        {
            SigningKeys.Clear();
        }

        SigningKeys[cacheKey] = (secret, key);
        return key;
    }

    /// <summary>The signing key: HMAC chain over the scope, which depends on the secret and the date only once a day per key.</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    // Each request thread keeps its SHA-256 and its last signing key's HMAC: creating them per request (as the one-shot
    // HashData calls do) cost more than the hashing itself.
    [ThreadStatic]
    private static IncrementalHash? _threadSha256;

    [ThreadStatic]
    private static byte[]? _threadHmacKey;

    [ThreadStatic]
    private static IncrementalHash? _threadHmac;

    /// <summary>
    /// Whether <paramref name="signatureHex"/> is the signature of the request whose canonical form is given: the HMAC,
    /// under the signing key, of the string to sign (algorithm, time, scope and the canonical request's SHA-256),
    /// compared in constant time.
    /// </summary>
    public static bool SignatureMatches(byte[] signingKey, string amzDate, string scope, string canonicalRequest, string signatureHex)
    {
        Span<byte> provided = stackalloc byte[32];
        if (Convert.FromHexString(signatureHex, provided, out _, out var written) != OperationStatus.Done || written != provided.Length)
        {
            return false;
        }

        var sha256 = _threadSha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendUtf8(sha256, canonicalRequest);
        Span<byte> canonicalHash = stackalloc byte[32];
        sha256.GetHashAndReset(canonicalHash);
        Span<char> canonicalHex = stackalloc char[64];
        Convert.TryToHexStringLower(canonicalHash, canonicalHex, out _);

        if (!ReferenceEquals(_threadHmacKey, signingKey) || _threadHmac is null)
        {
            _threadHmac?.Dispose();
            _threadHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, signingKey);
            _threadHmacKey = signingKey;
        }

        // The string to sign, whole: one call into the HMAC rather than one per part.
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{canonicalHex}";
        AppendUtf8(_threadHmac, stringToSign);
        Span<byte> computed = stackalloc byte[32];
        _threadHmac.GetHashAndReset(computed);
        return CryptographicOperations.FixedTimeEquals(provided, computed);
    }

    /// <summary>The SHA-256 of a request body, lower-case hex (x-amz-content-sha256's form).</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> content)
    {
        var sha256 = _threadSha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha256.AppendData(content);
        Span<byte> hash = stackalloc byte[32];
        sha256.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void AppendUtf8(IncrementalHash hash, ReadOnlySpan<char> text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        hash.AppendData(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static string Sign(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>
    /// The canonical request: method, URI (S3 encodes the path once, the other services twice), query, the signed
    /// headers with trimmed values, their names, and the payload hash. <paramref name="presigned"/> leaves out the
    /// signature's own query parameter.
    /// </summary>
    public static string CanonicalRequest(HttpRequest request, bool s3, IReadOnlyList<string> signedHeaders, string payloadHash, bool presigned)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString).ToString();
        var queryStart = raw.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? raw : raw[..queryStart];
        if (path.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(path, UriKind.Absolute, out var absolute))
        {
            path = absolute.AbsolutePath;
        }

        var builder = new StringBuilder(512);
        builder.Append(request.Method).Append('\n');
        var canonicalPath = CanonicalPath(path.Length == 0 ? "/" : path);
        builder.Append(s3 ? canonicalPath : canonicalPath.Replace("%", "%25", StringComparison.Ordinal)).Append('\n');
        AppendQuery(builder, queryStart < 0 ? "" : raw[(queryStart + 1)..], presigned);
        builder.Append('\n');
        foreach (var name in signedHeaders)
        {
            builder.Append(name).Append(':');
            var values = name == "host" ? new Microsoft.Extensions.Primitives.StringValues(request.Host.Value) : request.Headers[name];
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                builder.AppendJoin(' ', (values[i] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }

            builder.Append('\n');
        }

        builder.Append('\n').AppendJoin(';', signedHeaders).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    public static bool TryParseAmzDate(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>The path as sent, with escapes kept (hex upper-cased) and every other byte outside AWS's unreserved set escaped.</summary>
    private static string CanonicalPath(string path)
    {
        var builder = new StringBuilder(path.Length + 16);
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                builder.Append('%').Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                i += 2;
            }
            else if (c == '/' || IsUnreserved(c))
            {
                builder.Append(c);
            }
            else
            {
                AppendEscaped(builder, path.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < path.Length ? 2 : 1));
                i += char.IsHighSurrogate(c) && i + 1 < path.Length ? 1 : 0;
            }
        }

        return builder.ToString();
    }

    /// <summary>Parameters decoded, then encoded the AWS way (everything but unreserved characters), sorted by name and value.</summary>
    private static void AppendQuery(StringBuilder builder, string query, bool presigned)
    {
        if (query.Length == 0)
        {
            return;
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = Encode(Uri.UnescapeDataString(equals < 0 ? part : part[..equals]));
            if (presigned && name == "X-Amz-Signature")
            {
                continue;
            }

            pairs.Add((name, equals < 0 ? "" : Encode(Uri.UnescapeDataString(part[(equals + 1)..]))));
        }

        pairs.Sort((a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        for (var i = 0; i < pairs.Count; i++)
        {
            builder.Append(i > 0 ? "&" : "").Append(pairs[i].Name).Append('=').Append(pairs[i].Value);
        }
    }

    private static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnreserved(c))
            {
                builder.Append(c);
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1;
                AppendEscaped(builder, value.AsSpan(i, length));
                i += length - 1;
            }
        }

        return builder.ToString();
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> chars)
    {
        Span<byte> bytes = stackalloc byte[8];
        var count = Encoding.UTF8.GetBytes(chars, bytes);
        foreach (var b in bytes[..count])
        {
            builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~';
}
