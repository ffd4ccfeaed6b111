using System.Buffers;
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

    /// <summary>64 hex digits: a SHA-256 as <c>x-amz-content-sha256</c> carries it, and the form of a SigV4 signature.</summary>
    public static bool IsSha256Hex(ReadOnlySpan<char> value) => value.Length == 64 && !value.ContainsAnyExcept(HexDigits);

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Whether a request carries SigV4 credentials at all (header or presigned query).</summary>
    public static bool IsSigned(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith(Algorithm, StringComparison.Ordinal) || request.Query.ContainsKey("X-Amz-Algorithm");

    /// <summary>The signing key: HMAC chain over the scope, which depends on the secret and the date only once a day per key.</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    // Each request thread keeps a builder for the canonical request.
    [ThreadStatic]
    private static StringBuilder? _threadCanonical;

    /// <summary>
    /// Whether <paramref name="signatureHex"/> is the signature of <paramref name="request"/>: the HMAC, under the
    /// signing key, of the string to sign (algorithm, time, scope and the SHA-256 of the canonical request, see
    /// <see cref="AppendCanonicalRequest"/>), compared in constant time.
    /// </summary>
    public static bool SignatureMatches(SmallSha256.HmacKey signingKey, string amzDate, string scope, HttpRequest request, bool s3, IReadOnlyList<string> signedHeaders, string payloadHash, bool presigned, ReadOnlySpan<char> signatureHex)
    {
        Span<byte> provided = stackalloc byte[32];
        if (Convert.FromHexString(signatureHex, provided, out _, out var written) != OperationStatus.Done || written != provided.Length)
        {
            return false;
        }

        var canonical = _threadCanonical ??= new StringBuilder(1024);
        canonical.Clear();
        AppendCanonicalRequest(canonical, request, s3, signedHeaders, payloadHash, presigned);
        var sha256 = new SmallSha256.Builder(stackalloc byte[SmallSha256.Builder.StateSize]);
        foreach (var chunk in canonical.GetChunks())
        {
            AppendUtf8(sha256, chunk.Span);
        }

        if (canonical.Capacity > 64 * 1024)
        {
            _threadCanonical = null;
        }

        Span<byte> canonicalHash = stackalloc byte[32];
        sha256.Finish(canonicalHash);

        // The string to sign, whole and ASCII (the date and scope were checked to be): one call into the HMAC.
        var length = Algorithm.Length + amzDate.Length + scope.Length + 3 + 64;
        byte[]? rented = null;
        Span<byte> stringToSign = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var at = Encoding.ASCII.GetBytes(Algorithm, stringToSign);
        stringToSign[at++] = (byte)'\n';
        at += Encoding.ASCII.GetBytes(amzDate, stringToSign[at..]);
        stringToSign[at++] = (byte)'\n';
        at += Encoding.ASCII.GetBytes(scope, stringToSign[at..]);
        stringToSign[at++] = (byte)'\n';
        Convert.TryToHexStringLower(canonicalHash, stringToSign[at..], out var hexWritten);
        Span<byte> computed = stackalloc byte[32];
        signingKey.Compute(stringToSign[..(at + hexWritten)], computed);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return CryptographicOperations.FixedTimeEquals(provided, computed);
    }

    /// <summary>The SHA-256 of a request body, lower-case hex (x-amz-content-sha256's form).</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[32];
        SmallSha256.Hash(content, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void AppendUtf8(SmallSha256.Builder hash, ReadOnlySpan<char> text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        hash.Append(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static string Sign(SmallSha256.HmacKey signingKey, string stringToSign)
    {
        Span<byte> mac = stackalloc byte[32];
        signingKey.Compute(Encoding.UTF8.GetBytes(stringToSign), mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>
    /// The canonical request: method, URI (S3 encodes the path once, the other services twice), query, the signed
    /// headers with trimmed values, their names, and the payload hash. <paramref name="presigned"/> leaves out the
    /// signature's own query parameter.
    /// </summary>
    private static void AppendCanonicalRequest(StringBuilder builder, HttpRequest request, bool s3, IReadOnlyList<string> signedHeaders, string payloadHash, bool presigned)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString).ToString();
        var queryStart = raw.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? raw.AsSpan() : raw.AsSpan(0, queryStart);
        if (path.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(path.ToString(), UriKind.Absolute, out var absolute))
        {
            path = absolute.AbsolutePath;
        }

        builder.Append(request.Method).Append('\n');
        AppendCanonicalPath(builder, path.IsEmpty ? "/" : path, escapeTwice: !s3);
        builder.Append('\n');
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

                AppendTrimmedValue(builder, values[i] ?? "");
            }

            builder.Append('\n');
        }

        builder.Append('\n');
        for (var i = 0; i < signedHeaders.Count; i++)
        {
            builder.Append(i > 0 ? ";" : "").Append(signedHeaders[i]);
        }

        builder.Append('\n').Append(payloadHash);
    }

    /// <summary>A header value trimmed, its runs of spaces made one; most values are already so and are copied as they are.</summary>
    private static void AppendTrimmedValue(StringBuilder builder, string value)
    {
        if (value.Length == 0 || (value[0] != ' ' && value[^1] != ' ' && !value.Contains("  ", StringComparison.Ordinal) && value.AsSpan().IndexOfAny(OtherWhitespace) < 0))
        {
            builder.Append(value);
            return;
        }

        builder.AppendJoin(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static readonly SearchValues<char> OtherWhitespace = SearchValues.Create("\t\n\v\f\r");

    /// <summary>x-amz-date's basic ISO 8601 form, <c>yyyyMMddTHHmmssZ</c>, read by hand (it is on every request).</summary>
    public static bool TryParseAmzDate(string value, out DateTimeOffset time)
    {
        time = default;
        if (value.Length != 16 || value[8] != 'T' || value[15] != 'Z'
            || !TryDigits(value, 0, 4, out var year) || !TryDigits(value, 4, 2, out var month) || !TryDigits(value, 6, 2, out var day)
            || !TryDigits(value, 9, 2, out var hour) || !TryDigits(value, 11, 2, out var minute) || !TryDigits(value, 13, 2, out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        time = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(string text, int start, int count, out int number)
    {
        number = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }

            number = (number * 10) + (text[i] - '0');
        }

        return true;
    }

    /// <summary>
    /// The path as sent, with escapes kept (hex upper-cased) and every other byte outside AWS's unreserved set escaped;
    /// <paramref name="escapeTwice"/> (all services but S3) escapes the result's '%' once more.
    /// </summary>
    private static void AppendCanonicalPath(StringBuilder builder, ReadOnlySpan<char> path, bool escapeTwice)
    {
        // Most paths (/endpoints/NAME/invocations, a bucket and key) need no escaping at all.
        var clean = path.IndexOfAnyExcept(UnreservedOrSlash);
        if (clean < 0)
        {
            builder.Append(path);
            return;
        }

        builder.Append(path[..clean]);
        var percent = escapeTwice ? "%25" : "%";
        for (var i = clean; i < path.Length; i++)
        {
            var c = path[i];
            if (UnreservedOrSlash.Contains(c))
            {
                builder.Append(c);
            }
            else if (c == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                builder.Append(percent).Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                i += 2;
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < path.Length ? 2 : 1;
                AppendEscaped(builder, path.Slice(i, length), percent);
                i += length - 1;
            }
        }
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
            if (Unreserved.Contains(c))
            {
                builder.Append(c);
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1;
                AppendEscaped(builder, value.AsSpan(i, length), "%");
                i += length - 1;
            }
        }

        return builder.ToString();
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> chars, string percent)
    {
        Span<byte> bytes = stackalloc byte[8];
        var count = Encoding.UTF8.GetBytes(chars, bytes);
        foreach (var b in bytes[..count])
        {
            builder.Append(percent).Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
    }

    // AWS's unreserved characters, left as they are in a canonical URI and query; a path keeps its '/' too.
    private const string UnreservedCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    private static readonly SearchValues<char> Unreserved = SearchValues.Create(UnreservedCharacters);
    private static readonly SearchValues<char> UnreservedOrSlash = SearchValues.Create(UnreservedCharacters + "/");
}
