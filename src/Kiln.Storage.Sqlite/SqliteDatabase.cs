using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// One SQLite file in WAL mode. Writes go through a single long-lived connection, one transaction
/// at a time, because SQLite allows one writer anyway and a hot connection keeps prepared
/// statements warm; reads use pooled connections and never block writes (WAL).
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, SqliteCommand> _writerCommands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SQLitePCL.sqlite3_stmt> _writerStatements = new(StringComparer.Ordinal);

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        _writer = Open();
        Execute(_writer, "PRAGMA journal_mode=WAL;");
        Migrate();
    }

    public string Path { get; }

    /// <summary>Runs <paramref name="work"/> in a write transaction; commits if it returns, rolls back if it throws.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteSession, T> work, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction(deferred: false);
            var result = work(new SqliteSession(_writer, transaction, _writerCommands, _writerStatements));
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task WriteAsync(Action<SqliteSession> work, CancellationToken ct = default) =>
        WriteAsync<bool>(session =>
        {
            work(session);
            return true;
        }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled read connection inside one read transaction (a consistent snapshot).</summary>
    public T Read<T>(Func<SqliteSession, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        return work(new SqliteSession(connection, transaction, null));
    }

    /// <summary>
    /// <see cref="Read{T}"/> on a connection that also has the property-search functions (<c>kiln_search_*</c>).
    /// Only searches register them: registering on every pooled read costs every plain read (get-run) about a third.
    /// </summary>
    internal T ReadSearching<T>(Func<SqliteSession, T> work)
    {
        using var connection = Open();
        PropertySearchSql.AddFunctions(connection);
        using var transaction = connection.BeginTransaction(deferred: true);
        return work(new SqliteSession(connection, transaction, null));
    }

    public void Dispose()
    {
        foreach (var command in _writerCommands.Values)
        {
            command.Dispose();
        }

        foreach (var statement in _writerStatements.Values)
        {
            statement.Dispose();
        }

        _writer.Dispose();
        _writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // synchronous=NORMAL in WAL mode: a committed transaction survives a process crash (the WAL is
        // written before COMMIT returns); only an OS crash or power loss can lose the last commits.
        Execute(connection, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA temp_store=MEMORY;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Applies the embedded <c>Scripts/NNN-*.sql</c> files newer than <c>PRAGMA user_version</c>, each in its own transaction.</summary>
    private void Migrate()
    {
        var assembly = typeof(SqliteDatabase).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => (Version: ScriptVersion(name), Name: name))
            .OrderBy(script => script.Version)
            .ToList();

        using var versionCommand = _writer.CreateCommand();
        versionCommand.CommandText = "PRAGMA user_version;";
        var current = Convert.ToInt32(versionCommand.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

        foreach (var (version, name) in scripts.Where(script => script.Version > current))
        {
            using var transaction = _writer.BeginTransaction();
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = ReadScript(assembly, name) + $"\nPRAGMA user_version = {version};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    private static int ScriptVersion(string resourceName)
    {
        // Resource names look like Kiln.Storage.Sqlite.Scripts.001-tracking.sql
        var file = resourceName[(resourceName.IndexOf(".Scripts.", StringComparison.Ordinal) + ".Scripts.".Length)..];
        return int.Parse(file[..file.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ReadScript(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
