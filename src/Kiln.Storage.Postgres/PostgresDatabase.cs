using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>
/// One PostgreSQL database shared by every Kiln process of a cluster. Each write is one transaction that locks the
/// rows it reads before changing them (<c>FOR UPDATE</c>), so two processes updating the same record serialize
/// instead of losing one update; reads run on pooled connections.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">An Npgsql connection string or a <c>postgres://USER[:PASS]@HOST:PORT/DB</c> URL.</param>
    public PostgresDatabase(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(PostgresConnectionString.Parse(connectionString));
        PostgresMigrator.Migrate(_dataSource);
    }

    /// <summary>Runs <paramref name="work"/> in a transaction; commits if it returns, rolls back if it throws.</summary>
    public async Task<T> WriteAsync<T>(Func<PostgresSession, Task<T>> work, CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var result = await work(new PostgresSession(connection, transaction, ct)).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    public Task WriteAsync(Func<PostgresSession, Task> work, CancellationToken ct = default) =>
        WriteAsync<bool>(async session =>
        {
            await work(session).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled connection inside one repeatable-read transaction (a consistent snapshot).</summary>
    public async Task<T> ReadAsync<T>(Func<PostgresSession, Task<T>> work, CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        return await work(new PostgresSession(connection, transaction, ct)).ConfigureAwait(false);
    }

    public void Dispose() => _dataSource.Dispose();
}
