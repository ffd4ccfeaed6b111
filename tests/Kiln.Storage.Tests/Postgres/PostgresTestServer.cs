using Kiln.Storage.Postgres;
using Kiln.Storage.Tests.Contracts;
using Npgsql;

namespace Kiln.Storage.Tests.Postgres;

/// <summary>
/// The PostgreSQL server the tests use: <c>KILN_TEST_POSTGRES</c> (a connection string or <c>postgres://</c> URL of a
/// role that may create databases). <c>.ci/run</c> starts one; elsewhere, when unset or unreachable, the PostgreSQL
/// bindings skip.
/// </summary>
public static class PostgresTestServer
{
    public const string Variable = "KILN_TEST_POSTGRES";

    private static readonly Lazy<(string? ConnectionString, string? SkipReason)> Server = new(Probe);

    /// <summary>The server's connection string (to its maintenance database); null when absent.</summary>
    public static string? ConnectionString => Server.Value.ConnectionString;

    /// <summary>Why PostgreSQL tests cannot run here; null when they can.</summary>
    public static string? SkipReason => Server.Value.SkipReason;

    /// <summary>A new, empty database on the server; returns its connection string.</summary>
    public static string CreateDatabase(string name)
    {
        Execute($"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public static void DropDatabase(string name)
    {
        NpgsqlConnection.ClearAllPools();
        Execute($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    public static string NewDatabaseName() => "kiln_test_" + Guid.NewGuid().ToString("N");

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString ?? throw new InvalidOperationException(SkipReason));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static (string?, string?) Probe()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, $"{Variable} is not set (.ci/run starts a PostgreSQL server and sets it)");
        }

        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse(value)) { Timeout = 5, Pooling = false }.ConnectionString;
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            return (new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true }.ConnectionString, null);
        }
        catch (Exception e) when (e is NpgsqlException or FormatException or ArgumentException or TimeoutException)
        {
            return (null, $"PostgreSQL at {Variable} is unreachable: {e.Message}");
        }
    }
}

/// <summary>Skips a binding's contract tests when no PostgreSQL server is available (see <see cref="PostgresTestServer"/>).</summary>
public sealed class RequiresPostgresAttribute : StoreServiceAttribute
{
    public override string? SkipReason => PostgresTestServer.SkipReason;
}

/// <summary>
/// One fresh database for a binding class (created on first use, dropped after the class). Each test opens it through
/// <see cref="Open"/>, which empties every table first, so each test starts from an empty store as the contracts expect.
/// </summary>
public sealed class PostgresTestDatabase : IDisposable
{
    private readonly string _name = PostgresTestServer.NewDatabaseName();
    private readonly List<PostgresDatabase> _opened = [];
    private string? _connectionString;

    public PostgresDatabase Open()
    {
        _connectionString ??= PostgresTestServer.CreateDatabase(_name);
        var database = new PostgresDatabase(_connectionString);
        _opened.Add(database);
        using (var connection = new NpgsqlConnection(_connectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand(
                // DELETE, not TRUNCATE: on tables this small it is much cheaper (TRUNCATE replaces each table's files).
                "DO $$ DECLARE t TEXT; BEGIN FOR t IN SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', 'audit_log') "
                + "LOOP EXECUTE 'DELETE FROM ' || t; END LOOP; END $$; "
                // The audit log refuses DELETE (append-only); TRUNCATE is how an operator empties it.
                + "TRUNCATE audit_log",
                connection);
            command.ExecuteNonQuery();
        }

        return database;
    }

    public void Dispose()
    {
        foreach (var database in _opened)
        {
            database.Dispose();
        }

        if (_connectionString is not null)
        {
            PostgresTestServer.DropDatabase(_name);
        }
    }
}
