using System.Collections.Concurrent;

namespace Kiln.Api.Security;

/// <summary>A SigV4 credential: the access key and its scope (<c>DATE/REGION/SERVICE/aws4_request</c>) with the scope's date and service.</summary>
internal sealed class SigV4Credential(string accessKeyId, string scope, string scopeDate, string region, string service)
{
    private SigningKey? _signingKey;

    public string AccessKeyId { get; } = accessKeyId;

    /// <summary>DATE/REGION/SERVICE/aws4_request.</summary>
    public string Scope { get; } = scope;

    public string ScopeDate { get; } = scopeDate;

    public string Service { get; } = service;

    /// <summary>
    /// The signing key of this credential's key and scope under <paramref name="secret"/>, derived once (four HMACs)
    /// and kept here: the credential is remembered by its text, which a client repeats all day. A rotated secret
    /// derives a new one.
    /// </summary>
    public SmallSha256.HmacKey SigningKeyFor(string secret)
    {
        if (_signingKey is { } known && string.Equals(known.Secret, secret, StringComparison.Ordinal))
        {
            return known.Key;
        }

        var key = new SmallSha256.HmacKey(SigV4.SigningKey(secret, ScopeDate, region, Service));
        _signingKey = new SigningKey(secret, key);
        return key;
    }

    private sealed record SigningKey(string Secret, SmallSha256.HmacKey Key);
}

/// <summary>
/// What a SigV4 signature names (Authorization header or presigned query): the credential, the signed headers and the
/// signature's hex. A client sends the same credential and header list on every request of a day, so both are parsed
/// once and remembered by their text; the signature is left where it is in the header. The check ran on every signed
/// request, and the strings it cut were a third of what authentication allocated.
/// </summary>
internal readonly record struct SignatureParts(SigV4Credential Credential, string[] SignedHeaders, ReadOnlyMemory<char> Signature)
{
    private const int MaxRemembered = 10_000;
    private static readonly ConcurrentDictionary<string, SigV4Credential> Credentials = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string[]> HeaderLists = new(StringComparer.Ordinal);

    /// <summary>The parameters of an <c>AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…</c> header, or null if malformed.</summary>
    public static SignatureParts? FromHeader(string header)
    {
        ReadOnlySpan<char> credential = default, signedHeaders = default;
        var signature = ReadOnlyMemory<char>.Empty;
        bool hasCredential = false, hasSignedHeaders = false, hasSignature = false;
        var parameters = header.AsSpan(SigV4.Algorithm.Length);
        foreach (var range in parameters.Split(','))
        {
            var part = parameters[range].Trim();
            if (part.IsEmpty)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                return null;
            }

            var value = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "Credential":
                    credential = value;
                    hasCredential = true;
                    break;
                case "SignedHeaders":
                    signedHeaders = value;
                    hasSignedHeaders = true;
                    break;
                case "Signature":
                    header.AsSpan().Overlaps(value, out var offset);
                    (signature, hasSignature) = (header.AsMemory(offset, value.Length), true);
                    break;
            }
        }

        return hasCredential && hasSignedHeaders && hasSignature ? From(credential, signedHeaders, signature) : null;
    }

    /// <summary>The <c>X-Amz-Credential</c>, <c>X-Amz-SignedHeaders</c> and <c>X-Amz-Signature</c> of a presigned URL, or null if malformed.</summary>
    public static SignatureParts? FromQuery(IQueryCollection query) =>
        query["X-Amz-Algorithm"].ToString() == SigV4.Algorithm
        && query.TryGetValue("X-Amz-Credential", out var credential) && query.TryGetValue("X-Amz-SignedHeaders", out var signedHeaders)
        && query.TryGetValue("X-Amz-Signature", out var signature)
            ? From(credential.ToString(), signedHeaders.ToString(), signature.ToString().AsMemory())
            : null;

    private static SignatureParts? From(ReadOnlySpan<char> credentialText, ReadOnlySpan<char> signedHeadersText, ReadOnlyMemory<char> signature)
    {
        if (!SigV4.IsSha256Hex(signature.Span))
        {
            return null;
        }

        var credential = Remembered(Credentials, credentialText, ParseCredential);
        var signedHeaders = Remembered(HeaderLists, signedHeadersText, ParseSignedHeaders);
        return credential is null || signedHeaders is null ? null : new SignatureParts(credential, signedHeaders, signature);
    }

    /// <summary>A parse remembered by its text (only well-formed ones: those a client repeats), looked up without cutting a string.</summary>
    private static T? Remembered<T>(ConcurrentDictionary<string, T> cache, ReadOnlySpan<char> text, Func<string, T?> parse)
        where T : class
    {
        var byText = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (byText.TryGetValue(text, out var known))
        {
            return known;
        }

        var key = text.ToString();
        var parsed = parse(key);
        if (parsed is not null)
        {
            if (cache.Count >= MaxRemembered)
            {
                cache.Clear();
            }

            cache[key] = parsed;
        }

        return parsed;
    }

    /// <summary>KEY/DATE/REGION/SERVICE/aws4_request: the key id cannot contain '/', the rest is the scope.</summary>
    private static SigV4Credential? ParseCredential(string credential)
    {
        var slash = credential.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }

        var scope = credential[(slash + 1)..];
        var span = scope.AsSpan();
        var dateEnd = span.IndexOf('/');
        var regionEnd = dateEnd < 0 ? -1 : dateEnd + 1 + span[(dateEnd + 1)..].IndexOf('/');
        var serviceEnd = regionEnd <= dateEnd ? -1 : regionEnd + 1 + span[(regionEnd + 1)..].IndexOf('/');
        if (dateEnd != 8 || regionEnd <= dateEnd + 1 || serviceEnd <= regionEnd + 1 || !span[(serviceEnd + 1)..].SequenceEqual("aws4_request"))
        {
            return null;
        }

        return new SigV4Credential(credential[..slash], scope, scope[..8], scope[(dateEnd + 1)..regionEnd], scope[(regionEnd + 1)..serviceEnd]);
    }

    /// <summary>Lower-case names separated by ';', host among them.</summary>
    private static string[]? ParseSignedHeaders(string signedHeaders)
    {
        var headers = signedHeaders.Split(';');
        var signsHost = false;
        foreach (var header in headers)
        {
            if (header.Length == 0 || header.AsSpan().ContainsAnyInRange('A', 'Z'))
            {
                return null;
            }

            signsHost |= header == "host";
        }

        return signsHost ? headers : null;
    }
}
