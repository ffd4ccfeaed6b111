using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kiln.Api.MLflow;
using Kiln.Api.S3;
using Kiln.Core.Security;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Api.Security;

/// <summary>
/// The one place that decides who is calling when authentication is on (<c>kiln server --auth</c>). A request
/// carries SigV4 (the AWS dialects: header or presigned query), HTTP basic (user name and secret) or a bearer token
/// (the secret): the credentials are verified against <see cref="Users"/> and the caller is attached to the request
/// (<see cref="Caller"/>), or the request is answered with the error its dialect's clients expect and goes no further.
/// </summary>
public static class KilnAuthentication
{
    /// <summary>Requests and responses may be up to this far from the server's clock (AWS allows 15 minutes).</summary>
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    /// <summary>The longest a presigned URL may be valid (AWS: one week).</summary>
    private const int MaxPresignedSeconds = 604800;

    private static readonly string[] MlflowPrefixes = ["/api/", "/ajax-api/", "/get-artifact", "/model-versions/get-artifact"];

    private enum Dialect
    {
        S3,
        AwsJson,
        Mlflow,
        Web,
    }

    /// <summary>Who made this request: the verified user, or <see cref="KilnCaller.Anonymous"/> (trusted) when authentication is off.</summary>
    public static KilnCaller Caller(this HttpContext http) => http.Features.Get<KilnCaller>() ?? KilnCaller.Anonymous;

    public static IApplicationBuilder UseKilnAuthentication(this IApplicationBuilder app) => app.Use(AuthenticateAsync);

    private static async Task AuthenticateAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.Equals("/health", StringComparison.Ordinal) || StudioSessions.IsOpen(http.Request.Path))
        {
            await next(http);
            return;
        }

        if (http.Request.Query.ContainsKey("AWSAccessKeyId") || http.Request.Headers.Authorization.ToString().StartsWith("AWS ", StringComparison.Ordinal))
        {
            // Signature Version 2 (older SDKs' presigned URLs): refused as S3 refuses it where only SigV4 is accepted.
            await S3ErrorAsync(http, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.", 400);
            return;
        }

        // Studio's session cookie stands in for credentials on Studio's own requests only (never on an API's).
        KilnCaller? caller;
        try
        {
            var session = http.Request.Headers.Authorization.Count == 0 && !SigV4.IsSigned(http.Request) && StudioSessions.IsStudioRequest(http)
                ? await StudioSessions.CallerAsync(http)
                : null;
            caller = session
                ?? (SigV4.IsSigned(http.Request)
                ? await VerifySigV4Async(http)
                : await VerifyPasswordAsync(http));
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            // The users live in the metadata store: while it is away, who is calling cannot be checked, and the caller
            // gets its dialect's retryable error rather than a 500 or a refusal it would not retry.
            await UnavailableAsync(http, StoreOutage.Message(e));
            return;
        }

        if (caller is not null)
        {
            http.Features.Set(caller);
            await next(http);
        }
    }

    private static async ValueTask<KilnCaller?> VerifySigV4Async(HttpContext http)
    {
        var request = http.Request;
        var presigned = !request.Headers.Authorization.ToString().StartsWith(SigV4.Algorithm, StringComparison.Ordinal);
        var signature = presigned ? SignatureParts.FromQuery(request.Query) : SignatureParts.FromHeader(request.Headers.Authorization.ToString());
        var dialect = (signature is { } named ? named.Credential.Service == "s3" : SageMaker.AwsCaller.IsSignedForS3(request)) ? Dialect.S3 : Dialect.AwsJson;
        if (signature is not { } parsed)
        {
            await (dialect == Dialect.S3
                ? S3ErrorAsync(http, presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed", "The authorization information is malformed: it needs Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders (with host) and Signature.", 400)
                : JsonErrorAsync(http, "IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' (including 'host') and 'Signature' parameters.", 400));
            return null;
        }

        var amzDate = presigned ? request.Query["X-Amz-Date"].ToString() : request.Headers["x-amz-date"].ToString();
        if (!SigV4.TryParseAmzDate(amzDate, out var signedAt))
        {
            await (dialect == Dialect.S3
                ? S3ErrorAsync(http, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
                : JsonErrorAsync(http, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 400));
            return null;
        }

        if (!amzDate.AsSpan(0, 8).SequenceEqual(parsed.Credential.ScopeDate))
        {
            await (dialect == Dialect.S3
                ? S3ErrorAsync(http, presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed", $"Invalid credential date \"{parsed.Credential.ScopeDate}\". This date is not the same as X-Amz-Date: \"{amzDate[..8]}\".", 400)
                : JsonErrorAsync(http, "InvalidSignatureException", $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{parsed.Credential.ScopeDate}' != '{amzDate[..8]}', from '{amzDate}'.", 403));
            return null;
        }

        var users = http.RequestServices.GetRequiredService<Users>();
        var credentials = await users.FindByAccessKeyAsync(parsed.Credential.AccessKeyId, http.RequestAborted);
        if (credentials is null)
        {
            await (dialect == Dialect.S3
                ? S3ErrorAsync(http, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403)
                : JsonErrorAsync(http, "UnrecognizedClientException", "The security token included in the request is invalid.", 403));
            return null;
        }

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        // The usual case (a fresh header signature) is decided here, without the async refusal path.
        if ((presigned || (now - signedAt).Duration() > AllowedSkew) && !await CheckTimeAsync(http, dialect, presigned, signedAt, amzDate, now))
        {
            return null;
        }

        var s3 = dialect == Dialect.S3;
        var payloadHash = await PayloadHashAsync(http, s3, presigned);
        if (payloadHash is null)
        {
            return null;
        }

        var key = parsed.Credential.SigningKeyFor(credentials.SecretAccessKey);
        if (!SigV4.SignatureMatches(key, amzDate, parsed.Credential.Scope, request, s3, parsed.SignedHeaders, payloadHash, presigned, parsed.Signature.Span))
        {
            await (s3
                ? S3ErrorAsync(http, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", 403)
                : JsonErrorAsync(http, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 403));
            return null;
        }

        if (s3 && payloadHash.Length == 64 && payloadHash != SigV4.EmptySha256)
        {
            request.Body = new PayloadHashStream(request.Body, payloadHash);
        }
        else if (s3 && payloadHash == SigV4.StreamingSignedPayload)
        {
            // The request's signature seeds the chain the body's chunks are signed with (checked as S3 reads them).
            http.Features.Set(new ChunkSignatures(key, amzDate, parsed.Credential.Scope, parsed.Signature.ToString().ToLowerInvariant()));
        }

        return KilnCaller.Of(credentials.User);
    }

    /// <summary>Signed requests must be recent (15 minutes either way); presigned URLs valid from their date for X-Amz-Expires seconds.</summary>
    private static async Task<bool> CheckTimeAsync(HttpContext http, Dialect dialect, bool presigned, DateTimeOffset signedAt, string amzDate, DateTimeOffset now)
    {
        if (presigned)
        {
            var expiresText = http.Request.Query["X-Amz-Expires"].ToString();
            if (!int.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires > MaxPresignedSeconds)
            {
                await S3ErrorAsync(http, "AuthorizationQueryParametersError", $"X-Amz-Expires must be a number of seconds from 0 to {MaxPresignedSeconds} (a week), got '{expiresText}'.", 400);
                return false;
            }

            if (now > signedAt.AddSeconds(expires))
            {
                await S3ErrorAsync(http, "AccessDenied", "Request has expired", 403);
                return false;
            }

            if (signedAt > now + AllowedSkew)
            {
                await S3ErrorAsync(http, "AccessDenied", "Request is not valid yet", 403);
                return false;
            }

            return true;
        }

        if ((now - signedAt).Duration() <= AllowedSkew)
        {
            return true;
        }

        var stamp = (DateTimeOffset time) => time.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        await (dialect == Dialect.S3
            ? S3ErrorAsync(http, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", 403)
            : JsonErrorAsync(http, "InvalidSignatureException", signedAt < now
                ? $"Signature expired: {amzDate} is now earlier than {stamp(now - AllowedSkew)} ({stamp(now)} - 15 min.)"
                : $"Signature not yet current: {amzDate} is still later than {stamp(now + AllowedSkew)} ({stamp(now)} + 15 min.)", 403));
        return false;
    }

    /// <summary>
    /// What the signature says the body hashes to. S3 takes it from <c>x-amz-content-sha256</c> (required with a
    /// header signature; <c>UNSIGNED-PAYLOAD</c> for a presigned URL without it) and checks a hex value as the body is
    /// read. The JSON services sign the body itself, so it is read here (they are small) and hashed.
    /// </summary>
    private static async ValueTask<string?> PayloadHashAsync(HttpContext http, bool s3, bool presigned)
    {
        var claimed = http.Request.Headers["x-amz-content-sha256"].ToString();
        if (s3)
        {
            if (claimed.Length == 0)
            {
                if (presigned)
                {
                    return SigV4.UnsignedPayload;
                }

                await S3ErrorAsync(http, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400);
                return null;
            }

            if (claimed.StartsWith(SigV4.StreamingSignedPayload + "-", StringComparison.Ordinal))
            {
                // The -TRAILER variant also signs its trailing checksum, which is not verified yet: refused, not trusted.
                await S3ErrorAsync(http, "NotImplemented", $"Kiln does not verify {claimed} yet; send {SigV4.StreamingSignedPayload}, the payload's SHA-256, UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER.", 501);
                return null;
            }

            if (claimed is SigV4.UnsignedPayload or SigV4.StreamingSignedPayload or "STREAMING-UNSIGNED-PAYLOAD-TRAILER" || SigV4.IsSha256Hex(claimed))
            {
                return claimed;
            }

            await S3ErrorAsync(http, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.", 400);
            return null;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(http.Request, http.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            await JsonErrorAsync(http, "ValidationException", e.Message, e.StatusCode);
            return null;
        }

        // Buffer visible: a handler reading the whole body (an invocation) takes these bytes instead of copying them again.
        http.Request.Body = new MemoryStream(body, 0, body.Length, writable: false, publiclyVisible: true);
        var actual = SigV4.Sha256Hex(body);
        if (claimed.Length > 0 && SigV4.IsSha256Hex(claimed) && !string.Equals(claimed, actual, StringComparison.OrdinalIgnoreCase))
        {
            await JsonErrorAsync(http, "InvalidSignatureException", "The x-amz-content-sha256 header does not match the request body.", 403);
            return null;
        }

        return claimed.Length > 0 ? claimed : actual;
    }

    private static async ValueTask<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is { } length && length <= 64 * 1024 * 1024)
        {
            var buffer = new byte[length];
            await request.Body.ReadExactlyAsync(buffer, ct);
            return buffer;
        }

        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, ct);
        return copy.ToArray();
    }

    /// <summary>HTTP basic (name and secret) or a bearer token (the secret); without either, the dialect's "who are you" answer.</summary>
    private static async ValueTask<KilnCaller?> VerifyPasswordAsync(HttpContext http)
    {
        var users = http.RequestServices.GetRequiredService<Users>();
        var authorization = http.Request.Headers.Authorization.ToString();
        KilnUser? user = null;
        var offered = false;
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            offered = true;
            if (TryDecodeBasic(authorization.AsSpan("Basic ".Length).Trim(), out var name, out var secret))
            {
                user = await users.FindByNameAndSecretAsync(name, secret, http.RequestAborted);
            }
        }
        else if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            offered = true;
            var token = authorization["Bearer ".Length..].Trim();
            user = token.Length > 0 ? await users.FindBySecretAsync(token, http.RequestAborted) : null;
        }

        if (user is not null)
        {
            return KilnCaller.Of(user);
        }

        var dialect = DialectOf(http.Request);
        var message = offered ? "The credentials are not valid: use a Kiln user name and secret (basic) or a secret (bearer)." : "Authentication required: send a Kiln user name and secret (basic auth), a bearer token, or a SigV4 signature.";
        switch (dialect)
        {
            case Dialect.AwsJson:
                await JsonErrorAsync(http, offered ? "UnrecognizedClientException" : "MissingAuthenticationTokenException", offered ? "The security token included in the request is invalid." : "Missing Authentication Token", 403);
                break;
            case Dialect.S3:
                await S3ErrorAsync(http, "AccessDenied", "Access Denied", 403);
                break;
            case Dialect.Mlflow:
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"kiln\"";
                await MlflowErrors.WriteAsync(http.Response, "UNAUTHENTICATED", 401, message);
                break;
            case Dialect.Web when !offered && IsPageNavigation(http.Request):
                // A browser opening a page without credentials goes to Studio's login form, which brings it back.
                http.Response.Redirect(StudioSessions.LoginUrl(http.Request.PathBase + http.Request.Path + http.Request.QueryString));
                break;
            default:
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"kiln\"";
                http.Response.StatusCode = 401;
                http.Response.ContentType = "text/plain; charset=utf-8";
                await http.Response.WriteAsync(message + "\n", http.RequestAborted);
                break;
        }

        return null;
    }

    private static Task UnavailableAsync(HttpContext http, string message)
    {
        http.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds;
        switch (DialectOf(http.Request))
        {
            case Dialect.AwsJson:
                return JsonErrorAsync(http, "ServiceUnavailable", message, 503);
            case Dialect.S3:
                return S3ErrorAsync(http, "ServiceUnavailable", message, 503);
            case Dialect.Mlflow:
                return MlflowErrors.WriteAsync(http.Response, "TEMPORARILY_UNAVAILABLE", 503, message);
            default:
                http.Response.StatusCode = 503;
                http.Response.ContentType = "text/plain; charset=utf-8";
                return http.Response.WriteAsync(message + "\n", http.RequestAborted);
        }
    }

    private static Dialect DialectOf(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        if (MlflowPrefixes.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return Dialect.Mlflow;
        }

        if ((HttpMethods.IsPost(request.Method) && path == "/" && request.Headers.ContainsKey("X-Amz-Target"))
            || (path.StartsWith("/endpoints/", StringComparison.Ordinal) && path.EndsWith("/invocations", StringComparison.Ordinal)))
        {
            return Dialect.AwsJson;
        }

        // An unsigned AWS SDK is taken for an S3 client (S3 is the dialect with anonymous requests); a browser or
        // curl gets the basic-auth challenge.
        var agent = request.Headers.UserAgent.ToString();
        var sdk = agent.Contains("Botocore", StringComparison.Ordinal) || agent.Contains("aws-sdk", StringComparison.OrdinalIgnoreCase) || agent.Contains("aws-cli", StringComparison.Ordinal)
            || request.Headers.Keys.Any(name => name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("amz-sdk-", StringComparison.OrdinalIgnoreCase));
        return sdk ? Dialect.S3 : Dialect.Web;
    }

    /// <summary>A browser's GET for a page (it accepts HTML); scripts and curl keep the 401 with its basic challenge.</summary>
    private static bool IsPageNavigation(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static bool TryDecodeBasic(ReadOnlySpan<char> encoded, out string name, out string secret)
    {
        name = secret = "";
        Span<byte> bytes = stackalloc byte[512];
        if (encoded.Length > 680 || !Convert.TryFromBase64Chars(encoded, bytes, out var written))
        {
            return false;
        }

        // ':' is one byte in UTF-8 and never part of another character's bytes.
        var colon = bytes[..written].IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        (name, secret) = (Encoding.UTF8.GetString(bytes[..colon]), Encoding.UTF8.GetString(bytes[(colon + 1)..written]));
        return true;
    }

    private static Task S3ErrorAsync(HttpContext http, string code, string message, int status)
    {
        http.Response.Headers["x-amz-request-id"] = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        return S3Xml.WriteErrorAsync(http, code, message, status);
    }

    private static Task JsonErrorAsync(HttpContext http, string type, string message, int status)
    {
        http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        return SageMaker.AwsJson.WriteErrorAsync(http.Response, status, type, message);
    }
}
