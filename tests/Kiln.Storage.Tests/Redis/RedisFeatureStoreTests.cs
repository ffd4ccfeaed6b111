using Kiln.Core.FeatureStore;
using Kiln.Storage.Redis;
using Kiln.Storage.Redis.FeatureStore;
using Kiln.Storage.Tests.Contracts;
using StackExchange.Redis;

namespace Kiln.Storage.Tests.Redis;

/// <summary>Skips a binding's contract tests when no redis-server can be started here (see <see cref="RedisServer.SkipReason"/>).</summary>
public sealed class RequiresRedisAttribute : StoreServiceAttribute
{
    public override string? SkipReason => RedisServer.SkipReason;
}

/// <summary>
/// A private redis-server for one test class, started on first use and stopped after the class. Each test gets a store
/// under a key prefix of its own, so tests start from an empty store without flushing the server.
/// </summary>
public sealed class RedisTestServer : IDisposable
{
    private readonly Lazy<(RedisServer Server, ConnectionMultiplexer Connection)> _started = new(() =>
    {
        var server = RedisServer.Start();
        return (server, ConnectionMultiplexer.Connect(RedisOnlineStoreLocation.Parse(server.Url).Configuration()));
    });

    public ConnectionMultiplexer Connection => _started.Value.Connection;

    public static string NewPrefix() => "kiln:test:" + Guid.NewGuid().ToString("N") + ":";

    public void Dispose()
    {
        if (_started.IsValueCreated)
        {
            _started.Value.Connection.Dispose();
            _started.Value.Server.Dispose();
        }
    }
}

[RequiresRedis]
public sealed class RedisOnlineRecordStoreTests(RedisTestServer redis) : OnlineRecordStoreContract, IClassFixture<RedisTestServer>
{
    protected override IOnlineRecordStore CreateStore() => new RedisOnlineRecordStore(redis.Connection, RedisTestServer.NewPrefix());
}

/// <summary>What the contract does not say but a shared Redis needs: key namespaces, odd group keys, and racing writers on one record.</summary>
[RequiresRedis]
public sealed class RedisOnlineRecordStoreBehaviourTests(RedisTestServer redis) : IClassFixture<RedisTestServer>
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [StoreFact]
    public async Task Stores_with_different_prefixes_do_not_see_each_other()
    {
        var one = new RedisOnlineRecordStore(redis.Connection, RedisTestServer.NewPrefix());
        var two = new RedisOnlineRecordStore(redis.Connection, RedisTestServer.NewPrefix());
        await one.PutIfNotOlderAsync(Record("g", "r", Epoch, "one"), Epoch);

        Assert.Null(await two.FindAsync("g", "r"));
        Assert.Equal(new OnlineStoreSummary(0, 0, 0, null, null), await two.SummarizeAsync("g", Epoch));
        await two.RemoveGroupAsync("g");
        Assert.Equal("one", Value(await one.FindAsync("g", "r")));
    }

    [StoreFact]
    public async Task Every_key_is_under_the_prefix_and_one_group_shares_one_hash_tag()
    {
        var prefix = RedisTestServer.NewPrefix();
        var store = new RedisOnlineRecordStore(redis.Connection, prefix);
        await store.PutIfNotOlderAsync(Record("g", "live", Epoch, "1") with { ExpiresAt = Epoch.AddDays(1) }, Epoch);
        await store.PutIfNotOlderAsync(Record("g", "gone", Epoch, "2") with { Deleted = true }, Epoch);

        var keys = Keys(prefix);
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.StartsWith(prefix + "{g}:", key, StringComparison.Ordinal));
    }

    [StoreFact]
    public async Task Group_keys_with_braces_colons_or_percent_signs_stay_apart()
    {
        var prefix = RedisTestServer.NewPrefix();
        var store = new RedisOnlineRecordStore(redis.Connection, prefix);
        string[] groups = ["a}:r:b", "a", "a%7D", "{x}", "g:r:r", "é/ü"];
        foreach (var group in groups)
        {
            await store.PutIfNotOlderAsync(Record(group, "r:b", Epoch, group), Epoch);
        }

        foreach (var group in groups)
        {
            Assert.Equal(group, Value(await store.FindAsync(group, "r:b")));
            Assert.Equal(1, (await store.SummarizeAsync(group, Epoch)).Live);
        }

        await store.RemoveGroupAsync("a}:r:b");
        Assert.Null(await store.FindAsync("a}:r:b", "r:b"));
        foreach (var group in groups.Skip(1))
        {
            Assert.NotNull(await store.FindAsync(group, "r:b"));
        }
    }

    [StoreFact]
    public async Task Removing_a_large_group_leaves_no_key_behind_and_other_groups_whole()
    {
        var prefix = RedisTestServer.NewPrefix();
        var store = new RedisOnlineRecordStore(redis.Connection, prefix);
        // More than one removal chunk of live records, soft-delete markers and expiring records.
        await Task.WhenAll(Enumerable.Range(0, 700).Select(i => store.PutIfNotOlderAsync(
            Record("big", "r" + i, Epoch.AddSeconds(i), "v") with { Deleted = i % 3 == 0, ExpiresAt = i % 2 == 0 ? Epoch.AddSeconds(i + 10) : null }, Epoch)));
        await store.PutIfNotOlderAsync(Record("small", "r1", Epoch, "kept") with { ExpiresAt = Epoch.AddDays(1) }, Epoch);

        await store.RemoveGroupAsync("big");

        Assert.All(Keys(prefix), key => Assert.StartsWith(prefix + "{small}:", key, StringComparison.Ordinal));
        Assert.Equal(new OnlineStoreSummary(0, 0, 0, null, null), await store.SummarizeAsync("big", Epoch));
        Assert.Equal("kept", Value(await store.FindAsync("small", "r1")));
        Assert.Equal(new OnlineStoreSummary(1, 0, 0, Epoch, Epoch), await store.SummarizeAsync("small", Epoch));
    }

    [StoreFact]
    public async Task Racing_writers_on_separate_connections_keep_the_latest_event_and_consistent_indexes()
    {
        var prefix = RedisTestServer.NewPrefix();
        using var other = await ConnectionMultiplexer.ConnectAsync(redis.Connection.Configuration);
        IOnlineRecordStore[] writers = [new RedisOnlineRecordStore(redis.Connection, prefix), new RedisOnlineRecordStore(other, prefix)];
        var times = Enumerable.Range(0, 400).Select(i => Epoch.AddTicks(i)).OrderBy(_ => Random.Shared.Next()).ToList();

        var accepted = await Task.WhenAll(times.Select((time, i) => Task.Run(() =>
        {
            var record = Record("g", "hot", time, Text(time)) with { ExpiresAt = time.AddDays(1) };
            return writers[i % 2].PutIfNotOlderAsync(record, Epoch);
        })));

        var latest = Epoch.AddTicks(399);
        Assert.Contains(true, accepted);
        Assert.Equal(Text(latest), Value(await writers[0].FindAsync("g", "hot")));
        Assert.Equal(new OnlineStoreSummary(1, 0, 0, latest, latest), await writers[1].SummarizeAsync("g", Epoch));
        Assert.Equal(new OnlineStoreSummary(0, 0, 1, null, null), await writers[1].SummarizeAsync("g", latest.AddDays(1)));
        Assert.Single(await writers[0].ListLatestAsync("g", Epoch, 10));
    }

    [StoreFact]
    public async Task Event_times_one_tick_apart_order_exactly()
    {
        var store = new RedisOnlineRecordStore(redis.Connection, RedisTestServer.NewPrefix());
        // Ticks this large are not exact as doubles (Redis scores, Lua numbers): the store must not compare them as numbers.
        var far = new DateTimeOffset(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.PutIfNotOlderAsync(Record("g", "a", far, "a"), Epoch);
        await store.PutIfNotOlderAsync(Record("g", "b", far.AddTicks(1), "b"), Epoch);
        await store.PutIfNotOlderAsync(Record("g", "c", far.AddTicks(-1), "c"), Epoch);

        Assert.False(await store.PutIfNotOlderAsync(Record("g", "a", far.AddTicks(-1), "older"), Epoch));
        Assert.Equal(["b", "a", "c"], (await store.ListLatestAsync("g", Epoch, 10)).Select(record => record.RecordId));
        Assert.Equal(new OnlineStoreSummary(3, 0, 0, far.AddTicks(-1), far.AddTicks(1)), await store.SummarizeAsync("g", Epoch));
    }

    [StoreFact]
    public async Task Calls_while_redis_is_unreachable_are_the_retryable_ServiceUnavailable()
    {
        var location = RedisOnlineStoreLocation.Parse("redis://127.0.0.1:1");
        var configuration = location.Configuration();
        configuration.ConnectTimeout = 500;
        using var unreachable = await ConnectionMultiplexer.ConnectAsync(configuration);
        var store = new RedisOnlineRecordStore(unreachable);

        var error = await Assert.ThrowsAsync<Kiln.Core.Common.KilnException>(() => store.FindAsync("g", "r"));
        Assert.Equal(ErrorCode.ServiceUnavailable, error.Code);
        error = await Assert.ThrowsAsync<Kiln.Core.Common.KilnException>(() => store.RemoveGroupAsync("g"));
        Assert.Equal(ErrorCode.ServiceUnavailable, error.Code);
    }

    private List<string> Keys(string prefix) =>
        redis.Connection.GetServers().Single().Keys(pattern: prefix + "*").Select(key => (string)key!).ToList();

    private static OnlineRecord Record(string group, string id, DateTimeOffset time, string value) => new()
    {
        GroupKey = group,
        RecordId = id,
        EventTime = time,
        Values = [KeyValuePair.Create("id", id), KeyValuePair.Create("v", value)],
    };

    private static string Text(DateTimeOffset time) => time.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string? Value(OnlineRecord? record) => record?.Values.Single(pair => pair.Key == "v").Value;
}
