using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;
using Microsoft.Extensions.Logging;

namespace Kiln.FeatureStore.Offline;

/// <summary>
/// Athena's query lifecycle on an embedded DuckDB. Each query gets a fresh in-memory database in which every feature
/// group the SQL names (by its table name) is a view, <c>catalog.database.table</c>, over local copies of its Parquet
/// files (<see cref="OfflineStoreMirror"/>), read with hive partitioning so <c>year</c>, <c>month</c>, <c>day</c>
/// and <c>hour</c> are columns too. The database can read nothing but those copies: external access is off, limited
/// to the cache folder, and the configuration locked before the user's SQL runs. At most
/// <see cref="Concurrency"/> queries run at once; the rest wait QUEUED. Executions live in memory (the newest
/// <see cref="Retained"/>), as Athena's own are kept only for a while; the CSV in the output location stays.
/// </summary>
public sealed partial class DuckDbQueryEngine(
    IFeatureGroupStore groups,
    OfflineStoreMirror mirror,
    ObjectStore objects,
    TimeProvider clock,
    ILogger<DuckDbQueryEngine> logger) : IOfflineQueryEngine, IDisposable
{
    public const int Concurrency = 2;
    public const int Retained = 1000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(Concurrency, Concurrency);
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public QueryExecution Start(QueryRequest request)
    {
        if (request.ClientRequestToken is { } token)
        {
            lock (_tokens)
            {
                if (_tokens.TryGetValue(token, out var earlier) && _entries.TryGetValue(earlier, out var seen))
                {
                    return seen.Execution.Request == request
                        ? seen.Execution
                        : throw KilnException.InvalidParameter("Idempotent parameters do not match: a query with this ClientRequestToken was started with other parameters.");
                }

                var started = StartNew(request);
                _tokens[token] = started.Id;
                return started;
            }
        }

        return StartNew(request);
    }

    private QueryExecution StartNew(QueryRequest request)
    {
        var entry = new Entry(new QueryExecution { Id = Guid.NewGuid().ToString(), Request = request, SubmissionTime = clock.GetUtcNow() });
        _entries[entry.Execution.Id] = entry;
        Trim();
        entry.Task = Task.Run(() => RunAsync(entry));
        return entry.Execution;
    }

    public QueryExecution? Find(string id) => _entries.TryGetValue(id, out var entry) ? entry.Execution : null;

    public IReadOnlyList<QueryExecution> List(string workGroup) =>
        [.. _entries.Values.Select(entry => entry.Execution).Where(execution => execution.Request.WorkGroup == workGroup).OrderByDescending(execution => execution.SubmissionTime).ThenBy(execution => execution.Id, StringComparer.Ordinal)];

    public QueryExecution? Stop(string id)
    {
        if (!_entries.TryGetValue(id, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            if (!entry.Execution.IsFinal)
            {
                entry.Execution = entry.Execution with { State = QueryState.Cancelled, StateChangeReason = "Query cancelled by user", CompletionTime = clock.GetUtcNow() };
                entry.Cancel.Cancel();
            }
        }

        return entry.Execution;
    }

    public QueryResult? Result(string id) => _entries.TryGetValue(id, out var entry) && entry.Execution.State == QueryState.Succeeded ? entry.Result : null;

    public async Task<QueryExecution> WaitAsync(string id, CancellationToken ct = default)
    {
        if (!_entries.TryGetValue(id, out var entry))
        {
            throw KilnException.NotFound($"QueryExecution {id} was not found");
        }

        await entry.Task!.WaitAsync(ct).ConfigureAwait(false);
        return entry.Execution;
    }

    public void Dispose() => _slots.Dispose();

    private async Task RunAsync(Entry entry)
    {
        var ct = entry.Cancel.Token;
        try
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (!Transition(entry, execution => execution with { State = QueryState.Running }))
            {
                return;
            }

            var watch = Stopwatch.StartNew();
            var (result, scanned) = await ExecuteAsync(entry.Execution.Request, ct).ConfigureAwait(false);
            await WriteCsvAsync(entry.Execution, result, ct).ConfigureAwait(false);
            entry.Result = result;
            Transition(entry, execution => execution with { State = QueryState.Succeeded, CompletionTime = clock.GetUtcNow(), EngineMillis = watch.ElapsedMilliseconds, DataScannedBytes = scanned });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is DuckDBException or QueryFailedException or ObjectStoreException or IOException or InvalidOperationException)
        {
            Transition(entry, execution => execution with { State = QueryState.Failed, StateChangeReason = Reason(e), CompletionTime = clock.GetUtcNow() });
        }
        catch (Exception e)
        {
            LogQueryCrashed(logger, e, entry.Execution.Id);
            Transition(entry, execution => execution with { State = QueryState.Failed, StateChangeReason = "Internal error: " + e.Message, CompletionTime = clock.GetUtcNow() });
        }
        finally
        {
            _slots.Release();
        }
    }

    private static string Reason(Exception e) => e switch
    {
        ObjectStoreException { Error: ObjectError.NoSuchBucket } => "Unable to verify/create output bucket: the bucket of the output location does not exist",
        ObjectStoreException store => "Could not write the query results to the output location: " + store.Message,
        _ => e.Message,
    };

    /// <summary>Changes a running query's state unless it was cancelled meanwhile; false when it was.</summary>
    private static bool Transition(Entry entry, Func<QueryExecution, QueryExecution> change)
    {
        lock (entry)
        {
            if (entry.Execution.State == QueryState.Cancelled)
            {
                return false;
            }

            entry.Execution = change(entry.Execution);
            return true;
        }
    }

    private async Task<(QueryResult Result, long Scanned)> ExecuteAsync(QueryRequest request, CancellationToken ct)
    {
        var tables = await TablesNamedAsync(request.Sql, ct).ConfigureAwait(false);
        using var snapshots = new Snapshots(tables.Select(table => table.Snapshot));
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var catalogs = tables.Select(table => table.Group.OfflineStore!.Catalog)
            .Append(request.Catalog ?? "AwsDataCatalog")
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var setup = new StringBuilder();
        foreach (var catalog in catalogs)
        {
            setup.Append(CultureInfo.InvariantCulture, $"ATTACH ':memory:' AS {Quote(catalog)};");
            setup.Append(CultureInfo.InvariantCulture, $"CREATE SCHEMA IF NOT EXISTS {Quote(catalog)}.\"default\";");
        }

        long scanned = 0;
        foreach (var (group, (files, bytes)) in tables)
        {
            var store = group.OfflineStore!;
            scanned += bytes;
            setup.Append(CultureInfo.InvariantCulture, $"CREATE SCHEMA IF NOT EXISTS {Quote(store.Catalog)}.{Quote(store.Database)};");
            setup.Append(CultureInfo.InvariantCulture, $"CREATE VIEW {Quote(store.Catalog)}.{Quote(store.Database)}.{Quote(store.TableName)} AS {TableSql(group, files)};");
        }

        setup.Append(CultureInfo.InvariantCulture, $"SET allowed_directories = [{Literal(mirror.Root + Path.DirectorySeparatorChar)}];");
        setup.Append("SET enable_external_access = false; SET lock_configuration = true;");
        await ExecuteNonQueryAsync(connection, setup.ToString(), ct).ConfigureAwait(false);

        var database = request.Database ?? "default";
        try
        {
            await ExecuteNonQueryAsync(connection, $"USE {Quote(request.Catalog ?? "AwsDataCatalog")}.{Quote(database)}", ct).ConfigureAwait(false);
        }
        catch (DuckDBException)
        {
            throw new QueryFailedException($"SCHEMA_NOT_FOUND: line 1:1: Schema '{database}' does not exist");
        }

        await using var command = connection.CreateCommand();
        command.CommandText = request.Sql;
        await using var registration = ct.Register(() => Interrupt(command));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(i => new QueryColumn(reader.GetName(i), AthenaType(reader.GetFieldType(i), reader.GetDataTypeName(i)))).ToList();
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Format(reader.GetValue(i));
            }

            rows.Add(row);
        }

        return (new QueryResult(columns, rows), scanned);
    }

    private static void Interrupt(DuckDBCommand command)
    {
        try
        {
            command.Cancel();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ObjectDisposedException)
        {
            // The read loop sees the token between rows.
        }
    }

    /// <summary>
    /// The groups (with offline stores) whose table name appears in the SQL, with their files mirrored locally (kept
    /// there until the snapshots are disposed, though compaction may replace them meanwhile).
    /// </summary>
    private async Task<List<(FeatureGroup Group, OfflineSnapshot Snapshot)>> TablesNamedAsync(string sql, CancellationToken ct)
    {
        var named = new List<(FeatureGroup, OfflineSnapshot)>();
        try
        {
            string? token = null;
            do
            {
                var page = await groups.ListAsync(new ListQuery(MaxResults: 100, PageToken: token, Ascending: true), ct).ConfigureAwait(false);
                foreach (var group in page.Items)
                {
                    if (group.OfflineStore is { } store && group.Status == FeatureGroupStatuses.Created
                        && sql.Contains(store.TableName, StringComparison.OrdinalIgnoreCase))
                    {
                        named.Add((group, await mirror.SyncAsync(group, ct).ConfigureAwait(false)));
                    }
                }

                token = page.NextPageToken;
            }
            while (token is not null);
            return named;
        }
        catch
        {
            foreach (var (_, snapshot) in named)
            {
                snapshot.Dispose();
            }

            throw;
        }
    }

    private sealed class Snapshots(IEnumerable<OfflineSnapshot> snapshots) : IDisposable
    {
        private readonly List<OfflineSnapshot> _snapshots = [.. snapshots];

        public void Dispose()
        {
            foreach (var snapshot in _snapshots)
            {
                snapshot.Dispose();
            }
        }
    }

    /// <summary>The group's table: its Parquet files, or an empty relation of the right columns before the first write.</summary>
    internal static string TableSql(FeatureGroup group, IReadOnlyList<string> files)
    {
        if (files.Count > 0)
        {
            return $"SELECT * FROM read_parquet([{string.Join(", ", files.Select(Literal))}], hive_partitioning = true, union_by_name = true)";
        }

        var columns = group.Features.Select(feature => $"CAST(NULL AS {feature.Type switch { FeatureType.Integral => "BIGINT", FeatureType.Fractional => "DOUBLE", _ => "VARCHAR" }}) AS {Quote(feature.Name)}")
            .Concat(["CAST(NULL AS TIMESTAMPTZ) AS write_time", "CAST(NULL AS TIMESTAMPTZ) AS api_invocation_time", "CAST(NULL AS BOOLEAN) AS is_deleted",
                "CAST(NULL AS BIGINT) AS year", "CAST(NULL AS BIGINT) AS month", "CAST(NULL AS BIGINT) AS day", "CAST(NULL AS BIGINT) AS hour"]);
        return $"SELECT {string.Join(", ", columns)} WHERE false";
    }

    private async Task WriteCsvAsync(QueryExecution execution, QueryResult result, CancellationToken ct)
    {
        var (bucket, key) = S3Uris.Split(execution.OutputUri);
        using var csv = new MemoryStream();
        await using (var writer = new StreamWriter(csv, new UTF8Encoding(false), leaveOpen: true))
        {
            await writer.WriteLineAsync(string.Join(",", result.Columns.Select(column => CsvField(column.Name)))).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                await writer.WriteLineAsync(string.Join(",", row.Select(CsvField))).ConfigureAwait(false);
            }
        }

        csv.Position = 0;
        await objects.PutAsync(bucket, key, csv, "text/csv", null, ct: ct).ConfigureAwait(false);
    }

    /// <summary>Athena's CSV: every value in double quotes, a NULL as nothing at all.</summary>
    private static string CsvField(string? value) => value is null ? "" : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task ExecuteNonQueryAsync(DuckDBConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Athena's (Presto's) name for a result column's type.</summary>
    private static string AthenaType(Type type, string duckType)
    {
        if (duckType.Contains("date", StringComparison.OrdinalIgnoreCase) && !duckType.Contains("time", StringComparison.OrdinalIgnoreCase))
        {
            return "date";
        }

        return Type.GetTypeCode(Nullable.GetUnderlyingType(type) ?? type) switch
        {
            TypeCode.Boolean => "boolean",
            TypeCode.SByte or TypeCode.Byte => "tinyint",
            TypeCode.Int16 or TypeCode.UInt16 => "smallint",
            TypeCode.Int32 or TypeCode.UInt32 => "integer",
            TypeCode.Int64 or TypeCode.UInt64 => "bigint",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Decimal => "decimal",
            TypeCode.DateTime => "timestamp",
            _ when type == typeof(DateTimeOffset) => "timestamp",
            _ when type == typeof(System.Numerics.BigInteger) => "bigint",
            _ => "varchar",
        };
    }

    /// <summary>A value as Athena prints it: timestamps as <c>yyyy-MM-dd HH:mm:ss.fff</c> (UTC), booleans in lower case.</summary>
    internal static string Format(object value) => value switch
    {
        string text => text,
        bool flag => flag ? "true" : "false",
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        float number => number.ToString("R", CultureInfo.InvariantCulture),
        DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private void Trim()
    {
        if (_entries.Count <= Retained)
        {
            return;
        }

        foreach (var old in _entries.Values.Where(entry => entry.Execution.IsFinal).OrderBy(entry => entry.Execution.SubmissionTime).Take(_entries.Count - Retained).ToList())
        {
            _entries.TryRemove(old.Execution.Id, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Athena query {Id} crashed")]
    private static partial void LogQueryCrashed(ILogger logger, Exception exception, string id);

    private sealed class Entry(QueryExecution execution)
    {
        public QueryExecution Execution { get; set; } = execution;

        public CancellationTokenSource Cancel { get; } = new();

        public Task? Task { get; set; }

        public QueryResult? Result { get; set; }
    }

    private sealed class QueryFailedException(string message) : Exception(message);
}
