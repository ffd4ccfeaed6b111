using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// A connection inside one transaction, with small helpers for parameterized SQL. The writer's
/// session reuses prepared commands across transactions; SQL text is the cache key.
/// </summary>
public sealed class SqliteSession
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand>? _cache;
    private readonly Dictionary<string, sqlite3_stmt>? _statements;

    internal SqliteSession(SqliteConnection connection, SqliteTransaction transaction, Dictionary<string, SqliteCommand>? cache, Dictionary<string, sqlite3_stmt>? statements = null)
    {
        _connection = connection;
        Transaction = transaction;
        _cache = cache;
        _statements = statements;
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

    private static bool SameParameters(SqliteCommand command, (string Name, object? Value)[] args)
    {
        if (command.Parameters.Count != args.Length)
        {
            return false;
        }

        for (var i = 0; i < args.Length; i++)
        {
            if (!string.Equals(command.Parameters[i].ParameterName, args[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs a query through SQLite's C API on this session's connection and hands each row to
    /// <paramref name="onRow"/>. For the hot read paths (search results): about twice as fast as a
    /// data reader, and repeated strings are allocated once.
    /// </summary>
    public void Scan(string sql, (string Name, object? Value)[] args, RowHandler onRow)
    {
        var db = _connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        using (statement)
        {
            foreach (var (name, value) in args)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, name);
                if (index == 0)
                {
                    throw new ArgumentException($"No parameter {name} in: {sql}", nameof(args));
                }

                Check(db, value switch
                {
                    null => raw.sqlite3_bind_null(statement, index),
                    string text => raw.sqlite3_bind_text(statement, index, text),
                    long number => raw.sqlite3_bind_int64(statement, index, number),
                    int number => raw.sqlite3_bind_int64(statement, index, number),
                    double real => raw.sqlite3_bind_double(statement, index, real),
                    bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
                    _ => throw new ArgumentException($"Cannot bind {value.GetType()}", nameof(args)),
                });
            }

            var strings = new StringPool();
            int step;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                onRow(new SqliteRow(statement, strings));
            }

            if (step != raw.SQLITE_DONE)
            {
                Check(db, step);
            }
        }
    }

    /// <summary>
    /// Executes a statement whose parameters are positional (<c>?</c>), binding <paramref name="values"/> in
    /// order. Binding by position keeps statements with hundreds of parameters (multi-row INSERTs) cheap;
    /// by-name binding looks each name up. Prepared statements are kept for the writer's session.
    /// </summary>
    public void ExecutePositional(string sql, ReadOnlySpan<object?> values)
    {
        var db = _connection.Handle!;
        sqlite3_stmt? statement = null;
        if (_statements is null || !_statements.TryGetValue(sql, out statement))
        {
            Check(db, raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out statement));
            _statements?.Add(sql, statement);
        }

        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                Check(db, values[i] switch
                {
                    null => raw.sqlite3_bind_null(statement, i + 1),
                    string text => raw.sqlite3_bind_text(statement, i + 1, text),
                    long number => raw.sqlite3_bind_int64(statement, i + 1, number),
                    int number => raw.sqlite3_bind_int64(statement, i + 1, number),
                    double real => raw.sqlite3_bind_double(statement, i + 1, real),
                    bool flag => raw.sqlite3_bind_int64(statement, i + 1, flag ? 1 : 0),
                    var other => throw new ArgumentException($"Cannot bind {other.GetType()}", nameof(values)),
                });
            }

            var step = raw.sqlite3_step(statement);
            if (step != raw.SQLITE_DONE)
            {
                Check(db, step);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
            if (_statements is null)
            {
                statement.Dispose();
            }
        }
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), result);
        }
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
        else if (SameParameters(command, args))
        {
            // A cached command keeps its parameter objects; only the values change.
            command.Transaction = Transaction;
            for (var i = 0; i < args.Length; i++)
            {
                command.Parameters[i].Value = args[i].Value ?? DBNull.Value;
            }

            return command;
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
