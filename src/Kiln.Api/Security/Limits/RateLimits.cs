using System.Text.Json;
using System.Threading.RateLimiting;
using Kiln.Api.MLflow;
using Kiln.Api.S3;
using Kiln.Api.SageMaker;
using Microsoft.AspNetCore.RateLimiting;

namespace Kiln.Api.Security.Limits;

/// <summary>
/// <c>--rate-limit N</c>: each caller may make N requests a second (a token bucket of N, refilled every second), an
/// access key's calls counted together wherever they come from, anonymous calls by remote address. Over it, each
/// dialect's clients get their service's throttling error, which their SDKs retry with back-off: SageMaker and the
/// other AWS JSON services <c>400 ThrottlingException</c>, S3 <c>503 SlowDown</c>, MLflow <c>429 REQUEST_LIMIT_EXCEEDED</c>.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddKilnRateLimits(this IServiceCollection services, int requestsPerSecond) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.Equals("/health", StringComparison.Ordinal)
                    ? RateLimitPartition.GetNoLimiter("health")
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionOf(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = requestsPerSecond,
                        TokensPerPeriod = requestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (context, ct) => new ValueTask(RejectAsync(context.HttpContext));
        });

    /// <summary>After authentication, so a verified caller is counted by key, not by address.</summary>
    public static IApplicationBuilder UseKilnRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    private static string PartitionOf(HttpContext http) =>
        http.Features.Get<Kiln.Core.Security.KilnCaller>() is { AccessKeyId: { } key }
            ? "key:" + key
            : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async Task RejectAsync(HttpContext http)
    {
        var request = http.Request;
        var path = request.Path.Value ?? "/";
        http.Response.Headers.RetryAfter = "1";
        if (AwsCaller.IsSignedForS3(request))
        {
            http.Response.Headers["x-amz-request-id"] = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
            await S3Xml.WriteErrorAsync(http, "SlowDown", "Please reduce your request rate.", 503);
        }
        else if (request.Headers.ContainsKey("X-Amz-Target") || path.StartsWith("/endpoints/", StringComparison.Ordinal) || path.StartsWith("/FeatureGroup/", StringComparison.Ordinal))
        {
            http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
            await SageMaker.AwsJson.WriteErrorAsync(http.Response, 400, "ThrottlingException", "Rate exceeded");
        }
        else if (path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/ajax-api/", StringComparison.Ordinal))
        {
            await MlflowErrors.WriteAsync(http.Response, "REQUEST_LIMIT_EXCEEDED", 429, "Too many requests: this access key is over the server's --rate-limit; retry after a second.");
        }
        else
        {
            http.Response.StatusCode = 429;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("Too many requests; retry after a second.\n");
        }
    }
}
