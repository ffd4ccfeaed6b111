using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>
/// Applies the embedded <c>Scripts/NNN-*.sql</c> files not yet recorded in <c>schema_migrations</c>. All of it runs in
/// one transaction holding a transaction-level advisory lock, so processes starting at once take turns: the first
/// applies the scripts, the others find them recorded and apply nothing.
/// </summary>
public static class PostgresMigrator
{
    /// <summary>The advisory lock key every Kiln process migrating a database takes (an arbitrary constant: "kiln" in ASCII).</summary>
    private const long LockKey = 0x6B696C6E;

    /// <summary>Applies pending scripts; returns the versions this call applied.</summary>
    public static IReadOnlyList<int> Migrate(NpgsqlDataSource dataSource)
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => (Version: ScriptVersion(name), Name: name))
            .OrderBy(script => script.Version)
            .ToList();

        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey})");
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");

        var applied = new HashSet<int>();
        using (var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection, transaction))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var done = new List<int>();
        foreach (var (version, name) in scripts.Where(script => !applied.Contains(script.Version)))
        {
            Execute(connection, transaction, ReadScript(assembly, name));
            using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", connection, transaction);
            record.Parameters.AddWithValue("version", version);
            record.Parameters.AddWithValue("name", name[(name.IndexOf(".Scripts.", StringComparison.Ordinal) + ".Scripts.".Length)..]);
            record.ExecuteNonQuery();
            done.Add(version);
        }

        transaction.Commit();
        return done;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static int ScriptVersion(string resourceName)
    {
        // Resource names look like Kiln.Storage.Postgres.Scripts.001-documents.sql
        var file = resourceName[(resourceName.IndexOf(".Scripts.", StringComparison.Ordinal) + ".Scripts.".Length)..];
        return int.Parse(file[..file.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }

    private static string ReadScript(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
