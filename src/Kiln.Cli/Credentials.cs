using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Cli;

/// <summary>
/// How the CLI signs in to a server started with <c>--auth</c>: the user in <c>KILN_USER</c> and the secret of their
/// access key in <c>KILN_SECRET</c>, sent as HTTP basic auth (the server accepts it on every API but S3, whose
/// requests are signed with SigV4 instead).
/// </summary>
internal static class Credentials
{
    public const string UserVariable = "KILN_USER";
    public const string SecretVariable = "KILN_SECRET";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    public sealed record UserSecret(string Name, string Secret);

    public sealed record Signature(string AmzDate, string Header);

    public static UserSecret? FromEnvironment() =>
        Environment.GetEnvironmentVariable(UserVariable) is { Length: > 0 } name && Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret
            ? new UserSecret(name, secret)
            : null;

    public static HttpClient Apply(HttpClient http)
    {
        if (FromEnvironment() is { } credentials)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Name}:{credentials.Secret}")));
        }

        return http;
    }

    /// <summary>
    /// SigV4 for an S3 request without a query string and an unsigned payload (the body is sent as is): host,
    /// x-amz-content-sha256 and x-amz-date signed with the key derived for the date, us-east-1 and s3.
    /// </summary>
    public static Signature SignS3(string method, Uri uri, string accessKeyId, string secret, DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        const string signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        var canonical = $"{method}\n{uri.AbsolutePath}\n\nhost:{host}\nx-amz-content-sha256:{UnsignedPayload}\nx-amz-date:{amzDate}\n\n{signedHeaders}\n{UnsignedPayload}";
        var scope = $"{date}/us-east-1/s3/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        foreach (var part in new[] { "us-east-1", "s3", "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return new Signature(amzDate, $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }
}
