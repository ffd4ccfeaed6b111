namespace Kiln.Core.FeatureStore;

/// <summary>Athena's query states: QUEUED until a slot is free, RUNNING, then one of the three final states.</summary>
public enum QueryState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>What StartQueryExecution asks for: SQL, the catalog and database it runs in, and where the CSV goes.</summary>
public sealed record QueryRequest(string Sql, string? Catalog, string? Database, string OutputLocation, string WorkGroup, string? ClientRequestToken = null);

/// <summary>One query over the offline store, as GetQueryExecution reports it.</summary>
public sealed record QueryExecution
{
    public required string Id { get; init; }

    public required QueryRequest Request { get; init; }

    public QueryState State { get; init; } = QueryState.Queued;

    /// <summary>Why the query failed or was cancelled (the engine's message for bad SQL).</summary>
    public string? StateChangeReason { get; init; }

    public required DateTimeOffset SubmissionTime { get; init; }

    public DateTimeOffset? CompletionTime { get; init; }

    public long EngineMillis { get; init; }

    /// <summary>Bytes of the Parquet files the query's tables are made of.</summary>
    public long DataScannedBytes { get; init; }

    /// <summary>The S3 URI of the result CSV: <c>{OutputLocation}/{Id}.csv</c>.</summary>
    public string OutputUri => Request.OutputLocation.TrimEnd('/') + "/" + Id + ".csv";

    public bool IsFinal => State is QueryState.Succeeded or QueryState.Failed or QueryState.Cancelled;
}

/// <summary>A result column: its name and its type in Athena's (Presto's) names (varchar, bigint, double, ...).</summary>
public sealed record QueryColumn(string Name, string Type);

/// <summary>A finished query's rows, each value as Athena prints it (null for SQL NULL).</summary>
public sealed record QueryResult(IReadOnlyList<QueryColumn> Columns, IReadOnlyList<string?[]> Rows);

/// <summary>
/// SQL over the feature groups' offline stores (Athena's API on an embedded engine): each group's
/// <see cref="OfflineStoreSettings.Catalog"/>.<see cref="OfflineStoreSettings.Database"/>.<see cref="OfflineStoreSettings.TableName"/>
/// is a table over its Parquet files. Queries run in the background; the result is written as CSV to the output location.
/// </summary>
public interface IOfflineQueryEngine
{
    /// <summary>
    /// Queues a query and returns at once (state QUEUED or later). A request with a <see cref="QueryRequest.ClientRequestToken"/>
    /// seen before returns that query again; with other parameters it is refused (InvalidParameterValue).
    /// </summary>
    QueryExecution Start(QueryRequest request);

    QueryExecution? Find(string id);

    /// <summary>Every query this node knows, newest first.</summary>
    IReadOnlyList<QueryExecution> List(string workGroup);

    /// <summary>Cancels a query that has not finished; a finished one is left as it is.</summary>
    QueryExecution? Stop(string id);

    /// <summary>The rows of a SUCCEEDED query; null when the query is unknown or not succeeded.</summary>
    QueryResult? Result(string id);

    /// <summary>Waits until the query is final (for callers in-process, such as the dataset builder and tests).</summary>
    Task<QueryExecution> WaitAsync(string id, CancellationToken ct = default);
}
