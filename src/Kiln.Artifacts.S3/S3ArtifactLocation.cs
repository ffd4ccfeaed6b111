using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Kiln.Core.Artifacts;
using Kiln.Core.Objects;

namespace Kiln.Artifacts.S3;

/// <summary>
/// Where a Kiln node keeps artifact bytes in S3 (<c>--artifacts s3://BUCKET/PREFIX</c>) and which server to ask
/// (<c>--s3-endpoint</c>; AWS itself without one). Credentials and the region come from the AWS SDK's default
/// chain: the standard environment variables, then the shared profile.
/// </summary>
public sealed record S3ArtifactLocation(string Bucket, string Prefix, Uri? Endpoint = null)
{
    public string Uri => $"s3://{Bucket}/{Prefix}";

    /// <summary>Parses <c>s3://BUCKET[/PREFIX]</c>; throws <see cref="FormatException"/> with the reason otherwise.</summary>
    public static S3ArtifactLocation Parse(string uri, string? endpoint = null)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new FormatException($"--artifacts '{uri}' is not an s3://BUCKET/PREFIX URI.");
        }

        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (bucket, prefix) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
        try
        {
            ObjectStore.ValidateBucketName(bucket);
            prefix = ArtifactPath.Normalize(prefix);
        }
        catch (Exception e) when (e is ObjectStoreException or Kiln.Core.Common.KilnException)
        {
            throw new FormatException($"--artifacts '{uri}': '{(e is ObjectStoreException ? bucket : prefix)}' is not a valid {(e is ObjectStoreException ? "bucket name" : "prefix")}.");
        }

        Uri? parsedEndpoint = null;
        if (endpoint is not null
            && (!System.Uri.TryCreate(endpoint, UriKind.Absolute, out parsedEndpoint) || parsedEndpoint.Scheme is not ("http" or "https")))
        {
            throw new FormatException($"--s3-endpoint '{endpoint}' is not an http:// or https:// URL.");
        }

        return new S3ArtifactLocation(bucket, prefix, parsedEndpoint);
    }

    /// <summary>The store for one of Kiln's trees (artifacts, objects, upload parts) under this location's prefix.</summary>
    public S3ArtifactStore Store(IAmazonS3 client, string tree, int partSize = S3ArtifactStore.DefaultPartSize) =>
        new(client, Bucket, ArtifactPath.Combine(Prefix, tree), partSize);

    /// <summary>
    /// A client for this location. With an endpoint (MinIO, moto, Ceph…) it addresses buckets by path and only sends
    /// the checksums S3 requires, which every S3-compatible server accepts; the SDK retries throttling and
    /// transient failures with backoff (its standard retry mode).
    /// </summary>
    public AmazonS3Client CreateClient(AWSCredentials? credentials = null)
    {
        var config = new AmazonS3Config { RetryMode = RequestRetryMode.Standard, MaxErrorRetry = 5 };
        if (Endpoint is not null)
        {
            config.ServiceURL = Endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? RegionEndpoint.USEast1.SystemName;
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
