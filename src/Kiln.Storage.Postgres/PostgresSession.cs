using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>A connection inside one transaction, with small helpers for SQL with named (<c>@name</c>) parameters.</summary>
public sealed class PostgresSession
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly CancellationToken _ct;

    internal PostgresSession(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        _connection = connection;
        _transaction = transaction;
        _ct = ct;
    }

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args)
    {
        await using var command = Command(sql, args);
        return await command.ExecuteNonQueryAsync(_ct).ConfigureAwait(false);
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] args)
    {
        await using var command = Command(sql, args);
        var value = await command.ExecuteScalarAsync(_ct).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args)
    {
        await using var command = Command(sql, args);
        await using var reader = await command.ExecuteReaderAsync(_ct).ConfigureAwait(false);
        var results = new List<T>();
        while (await reader.ReadAsync(_ct).ConfigureAwait(false))
        {
            results.Add(map(reader));
        }

        return results;
    }

    public async Task<T?> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args)
        where T : class =>
        (await QueryAsync(sql, map, args).ConfigureAwait(false)).FirstOrDefault();

    private NpgsqlCommand Command(string sql, (string Name, object? Value)[] args)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var (name, value) in args)
        {
            // An untyped null leaves PostgreSQL unable to infer a type in `@x IS NULL`; Kiln's nullable arguments are text.
            command.Parameters.Add(value is null
                ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Text) { Value = DBNull.Value }
                : new NpgsqlParameter(name, value));
        }

        return command;
    }
}
