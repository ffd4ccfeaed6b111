using System.Globalization;
using StackExchange.Redis;

namespace Kiln.Storage.Redis;

/// <summary>
/// The Redis server <c>--online-store</c> names: <c>redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?prefix=PREFIX]</c>
/// (<c>rediss://</c> for TLS). The prefix namespaces Kiln's keys (default <c>kiln:fs:</c>), so several Kiln
/// deployments can share one Redis; every node of one cluster must name the same server, database and prefix.
/// </summary>
public sealed record RedisOnlineStoreLocation(string Host, int Port, int Database, string? User, string? Password, bool Tls, string Prefix)
{
    public const int DefaultPort = 6379;

    /// <summary>Parses the URL; throws <see cref="FormatException"/> with a one-line reason when it is not one.</summary>
    public static RedisOnlineStoreLocation Parse(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || uri.Host.Length == 0)
        {
            throw new FormatException($"--online-store must be redis://HOST[:PORT][/DB], not '{text}'.");
        }

        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15))
        {
            throw new FormatException($"--online-store {Describe(uri)}: the path must be a database number (0–15 by default), not '/{path}'.");
        }

        var prefix = FeatureStore.RedisOnlineRecordStore.DefaultPrefix;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.IndexOf('=') is var equals and >= 0 ? (pair[..equals], Uri.UnescapeDataString(pair[(equals + 1)..])) : (pair, "");
            if (name != "prefix" || value.Length == 0)
            {
                throw new FormatException($"--online-store {Describe(uri)}: the only query parameter is a non-empty prefix=PREFIX, not '{pair}'.");
            }

            prefix = value;
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            user = colon < 0 ? Uri.UnescapeDataString(uri.UserInfo) : Uri.UnescapeDataString(uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            if (user.Length == 0)
            {
                user = null;
            }
        }

        return new RedisOnlineStoreLocation(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, user, password, uri.Scheme == "rediss", prefix);
    }

    /// <summary>The server without its password, for logs and errors.</summary>
    public override string ToString() => $"{(Tls ? "rediss" : "redis")}://{(User is null ? "" : User + "@")}{Host}:{Port}/{Database} (keys {Prefix}*)";

    /// <summary>
    /// The client's settings. Not aborting on a failed connect lets the node keep running and reconnect when Redis
    /// comes back; start-up checks Redis first (<see cref="RedisServiceCollectionExtensions.CheckReachableAsync"/>).
    /// </summary>
    public ConfigurationOptions Configuration()
    {
        var options = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            Ssl = Tls,
            DefaultDatabase = Database,
            AbortOnConnectFail = false,
            ConnectTimeout = 5000,
            ClientName = "kiln",
        };
        options.EndPoints.Add(Host, Port);
        return options;
    }

    private static string Describe(Uri uri) => $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort || uri.Port < 0 ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture))}{uri.AbsolutePath}";
}
