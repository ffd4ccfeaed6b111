using Kiln.Storage.Postgres;
using Kiln.Storage.Tests.Contracts;
using Npgsql;

namespace Kiln.Storage.Tests.Postgres;

/// <summary>Versioned migrations: applied once, recorded, and safe when several processes start on one fresh database at once.</summary>
[RequiresPostgres]
public sealed class PostgresMigratorTests : IDisposable
{
    private readonly string _name = PostgresTestServer.NewDatabaseName();
    private string? _connectionString;

    [StoreFact]
    public async Task Migrators_started_at_once_apply_each_script_exactly_once()
    {
        _connectionString = PostgresTestServer.CreateDatabase(_name);
        using var start = new Barrier(6);
        var applied = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            // Each migrator has its own data source (its own pool), as separate processes would.
            using var dataSource = NpgsqlDataSource.Create(_connectionString);
            start.SignalAndWait();
            return PostgresMigrator.Migrate(dataSource);
        })));

        var scripts = typeof(PostgresMigrator).Assembly.GetManifestResourceNames().Count(name => name.EndsWith(".sql", StringComparison.Ordinal));
        Assert.True(scripts >= 2);
        Assert.Single(applied, versions => versions.Count == scripts);
        Assert.All(applied.Where(versions => versions.Count != scripts), versions => Assert.Empty(versions));

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var recorded = new NpgsqlCommand("SELECT count(*), count(DISTINCT version) FROM schema_migrations", connection);
        await using var reader = await recorded.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(scripts, reader.GetInt64(0));
        Assert.Equal(scripts, reader.GetInt64(1));
    }

    [StoreFact]
    public async Task A_started_database_is_not_migrated_again_and_keeps_its_records()
    {
        _connectionString = PostgresTestServer.CreateDatabase(_name);
        using (var first = new PostgresDatabase(_connectionString))
        {
            Assert.True(await new Kiln.Storage.Postgres.Objects.PostgresObjectIndex(first).CreateBucketAsync("kept", DateTimeOffset.UnixEpoch));
        }

        using var dataSource = NpgsqlDataSource.Create(_connectionString);
        Assert.Empty(PostgresMigrator.Migrate(dataSource));
        using var second = new PostgresDatabase(_connectionString);
        Assert.NotNull(await new Kiln.Storage.Postgres.Objects.PostgresObjectIndex(second).FindBucketAsync("kept"));
    }

    public void Dispose()
    {
        if (_connectionString is not null)
        {
            PostgresTestServer.DropDatabase(_name);
        }
    }
}

/// <summary><c>--store</c> and <c>KILN_TEST_POSTGRES</c> take a <c>postgres://</c> URL as well as a connection string.</summary>
public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void Urls_become_connection_strings()
    {
        var parsed = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse("postgres://kiln:s%40cret@db.example:6543/metadata"));
        Assert.Equal(("db.example", 6543, "metadata", "kiln", "s@cret"), (parsed.Host, parsed.Port, parsed.Database, parsed.Username, parsed.Password));
        Assert.Throws<FormatException>(() => PostgresConnectionString.Parse("postgres://"));
    }
}
