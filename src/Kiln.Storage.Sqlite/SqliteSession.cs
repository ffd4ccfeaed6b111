using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// A connection inside one transaction, with small helpers for parameterized SQL. The writer's
/// session reuses prepared commands across transactions; SQL text is the cache key.
/// </summary>
public sealed class SqliteSession
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand>? _cache;

    internal SqliteSession(SqliteConnection connection, SqliteTransaction transaction, Dictionary<string, SqliteCommand>? cache)
    {
        _connection = connection;
        Transaction = transaction;
        _cache = cache;
    }

    public SqliteTransaction Transaction { get; }

    public int Execute(string sql, params (string Name, object? Value)[] args) => Command(sql, args).ExecuteNonQuery();

    public object? Scalar(string sql, params (string Name, object? Value)[] args)
    {
        var value = Command(sql, args).ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
    {
        var results = new List<T>();
        using var reader = Command(sql, args).ExecuteReader();
        while (reader.Read())
        {
            results.Add(map(reader));
        }

        return results;
    }

    public T? QuerySingle<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
        where T : class
    {
        using var reader = Command(sql, args).ExecuteReader();
        return reader.Read() ? map(reader) : null;
    }

    /// <summary>Returns a command for <paramref name="sql"/> bound to <paramref name="args"/>; reused when this session caches.</summary>
    public SqliteCommand Command(string sql, params (string Name, object? Value)[] args)
    {
        SqliteCommand command;
        if (_cache is null)
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
        }
        else if (!_cache.TryGetValue(sql, out command!))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _cache[sql] = command;
        }
        else
        {
            command.Parameters.Clear();
        }

        command.Transaction = Transaction;
        foreach (var (name, value) in args)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
