using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Tests.Redis;

namespace Kiln.Api.Tests.Cli;

/// <summary>
/// <c>kiln features ingest --from redis://…</c> against a real redis-server started here (skipped without one) and a real
/// Kiln server: refused entries dead-lettered, a stopped run's unacknowledged entries replayed without a duplicate,
/// the offline store holding every record once (tests/clients/boto3/feature_store_ingest.py).
/// </summary>
public sealed class FeatureIngestTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [RedisServerFact]
    public async Task Ingest_from_a_redis_stream_resumes_without_loss_or_duplicates()
    {
        using var redis = RedisServer.Start();
        await Boto3.RunAsync(server.BaseAddress, "feature_store_ingest.py", "test_ingest_resumes_without_loss_or_duplicates", TimeSpan.FromMinutes(6),
            Path.Combine(AppContext.BaseDirectory, "kiln.dll"), redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A fact reported as skipped, with the reason, when no redis-server is on the PATH and none is required (.ci/run installs one).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisServerFactAttribute : FactAttribute
{
    public RedisServerFactAttribute()
    {
        Skip = RedisServer.SkipReason;
    }
}

/// <summary>A theory reported as skipped, with the reason, when no redis-server is on the PATH and none is required (.ci/run installs one).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisServerTheoryAttribute : TheoryAttribute
{
    public RedisServerTheoryAttribute()
    {
        Skip = RedisServer.SkipReason;
    }
}
