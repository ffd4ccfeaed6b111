using Kiln.Api.Tests.Cli;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Tests.Redis;
using StackExchange.Redis;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// Feature Store's records through boto3 against a server started with <c>--online-store redis://…/3?prefix=…</c> on a
/// private redis-server: SageMaker's event-time rules, TTL, soft and hard deletes and BatchGetRecord (the same scripts as
/// <see cref="FeatureStoreTests"/>), with the records seen in Redis and gone from it after DeleteFeatureGroup.
/// </summary>
public sealed class RedisOnlineStoreTests(RedisOnlineStoreServerFixture server) : IClassFixture<RedisOnlineStoreServerFixture>
{
    [RedisServerTheory]
    [InlineData("test_put_get_and_event_time_rules")]
    [InlineData("test_batch_get_record")]
    [InlineData("test_ttl_expiry")]
    [InlineData("test_soft_and_hard_delete")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", test);

    [RedisServerFact]
    public async Task Records_live_in_redis_and_DeleteFeatureGroup_removes_them()
    {
        var group = "redis-" + Guid.NewGuid().ToString("N")[..8];
        var pattern = RedisOnlineStoreServerFixture.Prefix + "{" + group + "}:*";

        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", "test_fill_group", null, group);
        var keys = server.Keys(pattern);
        Assert.Contains(RedisOnlineStoreServerFixture.Prefix + "{" + group + "}:r:c0", keys);
        Assert.Contains(RedisOnlineStoreServerFixture.Prefix + "{" + group + "}:deleted", keys);

        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", "test_delete_group", null, group);
        Assert.Empty(server.Keys(pattern));
    }

    /// <summary>A URL that is not Redis's stops start-up as a wrong option (exit 1); a Redis nobody answers on, as an unusable store (exit 2).</summary>
    [Theory]
    [InlineData("http://127.0.0.1:6379", 1, "--online-store must be redis://HOST[:PORT][/DB]")]
    [InlineData("redis://127.0.0.1:6379/x", 1, "the path must be a database number")]
    [InlineData("redis://127.0.0.1:6379?db=2", 1, "the only query parameter is a non-empty prefix=PREFIX")]
    [InlineData("redis://127.0.0.1:1", 2, "--online-store redis://127.0.0.1:1/0 (keys kiln:fs:*): cannot use the Redis server")]
    public async Task Server_refuses_an_online_store_it_cannot_use(string url, int exitCode, string message)
    {
        var data = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output) = await Repository.RunAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "server", "--port", "0", "--data-dir", data, "--online-store", url],
                Repository.Root, TimeSpan.FromMinutes(1));
            Assert.True(code == exitCode, $"exit {code}: {output}");
            Assert.Contains(message, output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}

/// <summary>A server whose online store is a private redis-server's database 3, keys under <see cref="Prefix"/>.</summary>
public sealed class RedisOnlineStoreServerFixture : KilnServerFixture
{
    public const string Prefix = "kiln-e2e:";

    private const int Database = 3;

    private readonly RedisServer? _redis;
    private ConnectionMultiplexer? _connection;

    public RedisOnlineStoreServerFixture()
        : this(RedisServer.SkipReason is null ? RedisServer.Start() : null)
    {
    }

    private RedisOnlineStoreServerFixture(RedisServer? redis)
        : base(options => redis is null ? options : options with { OnlineStore = $"{redis.Url}/{Database}?prefix={Prefix}" }) => _redis = redis;

    /// <summary>The keys in the server's database matching a glob pattern.</summary>
    public IReadOnlyList<string> Keys(string pattern)
    {
        _connection ??= ConnectionMultiplexer.Connect(_redis!.Url.Replace("redis://", "", StringComparison.Ordinal));
        return _connection.GetServers().Single().Keys(Database, pattern).Select(key => (string)key!).ToList();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _connection?.Dispose();
        _redis?.Dispose();
    }
}
