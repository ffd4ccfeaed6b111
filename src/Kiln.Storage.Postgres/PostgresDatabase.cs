using Kiln.Core.Common;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Kiln.Storage.Postgres;

/// <summary>
/// One PostgreSQL database shared by every Kiln process of a cluster. Each write is one transaction that locks the
/// rows it reads before changing them (<c>FOR UPDATE</c>), so two processes updating the same record serialize
/// instead of losing one update; reads run on pooled connections.
/// </summary>
/// <remarks>
/// While PostgreSQL restarts, every call fails fast with <see cref="ErrorCode.ServiceUnavailable"/> (which the APIs
/// answer with their retryable error) instead of hanging or answering 500: a transaction that failed on a transient
/// error before its commit was sent is retried a few times within about a second (it was rolled back, so running it
/// again cannot apply it twice); once failures pile up, a circuit breaker refuses calls at once for a moment, then lets
/// one through to see whether the database is back. A failure while committing is never retried, since the commit may
/// have been applied: the caller gets the retryable error and no acknowledgement, so no acknowledged write is lost.
/// </remarks>
public sealed class PostgresDatabase : IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;
    private readonly ResiliencePipeline _resilience;

    /// <param name="connectionString">An Npgsql connection string or a <c>postgres://USER[:PASS]@HOST:PORT/DB</c> URL.</param>
    public PostgresDatabase(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(PostgresConnectionString.Parse(connectionString));
        _description = PostgresConnectionString.Describe(connectionString);
        _resilience = Resilience();
        PostgresMigrator.Migrate(_dataSource);
    }

    /// <summary>Runs <paramref name="work"/> in a transaction; commits if it returns, rolls back if it throws.</summary>
    public Task<T> WriteAsync<T>(Func<PostgresSession, Task<T>> work, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            var result = await work(new PostgresSession(connection, transaction, token)).ConfigureAwait(false);
            try
            {
                await transaction.CommitAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                throw new CommitOutcomeUnknownException(e);
            }

            return result;
        }, ct);

    public Task WriteAsync(Func<PostgresSession, Task> work, CancellationToken ct = default) =>
        WriteAsync<bool>(async session =>
        {
            await work(session).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled connection inside one repeatable-read transaction (a consistent snapshot).</summary>
    public Task<T> ReadAsync<T>(Func<PostgresSession, Task<T>> work, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token).ConfigureAwait(false);
            return await work(new PostgresSession(connection, transaction, token)).ConfigureAwait(false);
        }, ct);

    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Whether <paramref name="error"/> says the database is unreachable or restarting rather than that the request is
    /// wrong: Npgsql's own judgement (<see cref="NpgsqlException.IsTransient"/>: broken or refused connections, timeouts,
    /// serialization failures) plus the states of a server shutting down or starting (57P01–57P03).
    /// </summary>
    public static bool IsTransient(Exception error) => error switch
    {
        CommitOutcomeUnknownException => true,
        PostgresException postgres => postgres.IsTransient || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        _ => false,
    };

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        try
        {
            return await _resilience.ExecuteAsync(async token => await work(token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            throw Unavailable(e.InnerException ?? e);
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw Unavailable(e is CommitOutcomeUnknownException ? e.InnerException! : e);
        }
    }

    private KilnException Unavailable(Exception cause) =>
        new(ErrorCode.ServiceUnavailable, $"The metadata store (PostgreSQL at {_description}) is unavailable; retry shortly. ({cause.Message})");

    private static ResiliencePipeline Resilience()
    {
        var transient = new PredicateBuilder().Handle<Exception>(IsTransient);
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // A commit whose outcome is unknown must not run again (it may have been applied).
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e) && e is not CommitOutcomeUnknownException),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(5),
                BreakDuration = TimeSpan.FromSeconds(1),
            })
            .Build();
    }

    /// <summary>The connection broke while a commit was on its way: it may or may not have been applied.</summary>
    private sealed class CommitOutcomeUnknownException(Exception cause) : Exception("The commit's outcome is unknown: " + cause.Message, cause);
}
