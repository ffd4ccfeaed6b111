using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>Accepts what <c>--store</c> and <c>KILN_TEST_POSTGRES</c> hold: a <c>postgres://</c> URL or an Npgsql connection string.</summary>
public static class PostgresConnectionString
{
    public static string Parse(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(value).ConnectionString;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FormatException($"Not a PostgreSQL URL (postgres://USER[:PASS]@HOST:PORT/DB): {value}");
        }

        var user = uri.UserInfo.Split(':', 2);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database.Length == 0 ? "postgres" : database,
        };
        if (user[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user[0]);
        }

        if (user.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }

        return builder.ConnectionString;
    }

    /// <summary>Where a connection string points, without its credentials (for logs and /health).</summary>
    public static string Describe(string value)
    {
        var builder = new NpgsqlConnectionStringBuilder(Parse(value));
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }
}
