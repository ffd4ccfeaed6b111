using Kiln.Core.FeatureStore;
using Kiln.Storage.Redis.FeatureStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Kiln.Storage.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>Feature Store's online store on the Redis server <paramref name="location"/> names, in place of the metadata store's own.</summary>
    public static IServiceCollection AddKilnRedisOnlineStore(this IServiceCollection services, RedisOnlineStoreLocation location)
    {
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(location.Configuration()));
        services.RemoveAll<IOnlineRecordStore>();
        services.AddSingleton<IOnlineRecordStore>(provider => new RedisOnlineRecordStore(provider.GetRequiredService<IConnectionMultiplexer>(), location.Prefix));
        return services;
    }

    /// <summary>Connects and pings the server; throws <see cref="RedisException"/> (or a subclass) saying why when it cannot be used.</summary>
    public static async Task CheckReachableAsync(RedisOnlineStoreLocation location)
    {
        var configuration = location.Configuration();
        configuration.AbortOnConnectFail = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        await connection.GetDatabase().PingAsync().ConfigureAwait(false);
    }
}
