namespace Kiln.Api.SageMaker;

/// <summary>
/// Who is calling, read from the SigV4 Authorization header's credential scope
/// (<c>Credential=AKID/20261124/us-east-1/sagemaker/aws4_request</c>). Signatures are not verified yet.
/// </summary>
internal sealed record AwsCaller(string AccessKeyId, string Region, string Service)
{
    public static readonly AwsCaller Anonymous = new("anonymous", "us-east-1", "");

    /// <summary>
    /// Whether the request's SigV4 credential scope names the S3 service, checked without allocating: every
    /// request to the shared base URL asks this.
    /// </summary>
    public static bool IsSignedForS3(HttpRequest request)
    {
        const string scope = "/s3/aws4_request";
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && authorization[0] is { } header)
        {
            return header.Contains(scope, StringComparison.Ordinal);
        }

        return request.Query.TryGetValue("X-Amz-Credential", out var credential) && credential.ToString().EndsWith(scope, StringComparison.Ordinal);
    }

    public static AwsCaller From(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var start = header.IndexOf("Credential=", StringComparison.Ordinal);
        var scope = start >= 0
            ? header[(start + "Credential=".Length)..].Split([',', ' '], 2)[0]
            : request.Query["X-Amz-Credential"].ToString();
        var parts = scope.Split('/');
        return parts.Length >= 4 && parts[0].Length > 0 ? new AwsCaller(parts[0], parts[2], parts[3]) : Anonymous;
    }
}
