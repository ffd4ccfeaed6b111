using Kiln.Storage.Sqlite;

namespace Kiln.Storage.Tests.Sqlite;

/// <summary>A fresh SQLite file in its own temp folder, deleted on dispose.</summary>
public sealed class SqliteTestDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kiln-storage-" + Guid.NewGuid().ToString("N"));

    public SqliteTestDatabase() => Database = new SqliteDatabase(Path.Combine(_folder, "kiln.db"));

    public SqliteDatabase Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
