using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Kiln.Api.SageMaker;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.Athena;

/// <summary>
/// The Athena operations the SageMaker SDK's <c>FeatureGroup.athena_query()</c> uses, on Kiln's one endpoint (AWS JSON 1.1,
/// <c>X-Amz-Target: AmazonAthena.&lt;Operation&gt;</c>), over <see cref="IOfflineQueryEngine"/>: StartQueryExecution,
/// GetQueryExecution, GetQueryResults, StopQueryExecution and ListQueryExecutions. Errors as the model has them:
/// InvalidRequestException (400) with an AthenaErrorCode; a query whose SQL is wrong is accepted and ends FAILED.
/// </summary>
internal static partial class AthenaApi
{
    public const string TargetPrefix = "AmazonAthena.";
    public const string WorkGroup = "primary";
    private const int MaxQueryLength = 262144;

    private static readonly JsonSerializerOptions Json = new(AwsJson.Options);

    public static async Task DispatchAsync(HttpContext http, string operation)
    {
        try
        {
            var engine = http.RequestServices.GetRequiredService<IOfflineQueryEngine>();
            object response = operation switch
            {
                "StartQueryExecution" => Start(await ReadAsync<StartQueryExecutionInput>(http), engine),
                "GetQueryExecution" => new GetQueryExecutionOutput(Shape(Known(engine, (await ReadAsync<QueryExecutionIdInput>(http)).QueryExecutionId))),
                "GetQueryResults" => Results(await ReadAsync<GetQueryResultsInput>(http), engine),
                "StopQueryExecution" => Stop(await ReadAsync<QueryExecutionIdInput>(http), engine),
                "ListQueryExecutions" => List(await ReadAsync<ListQueryExecutionsInput>(http), engine),
                _ => throw new AthenaException($"The Athena operation {operation} is not supported by Kiln (it serves StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution and ListQueryExecutions).", "UnknownOperationException"),
            };
            http.Response.ContentType = AwsJson.ContentType;
            await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), Json), http.RequestAborted);
        }
        catch (AthenaException e)
        {
            await WriteErrorAsync(http, e.Type, e.Message, e.Type == "InvalidRequestException" ? "INVALID_INPUT" : null, 400);
        }
        catch (KilnException e) when (e.Code is ErrorCode.InvalidParameterValue or ErrorCode.ResourceDoesNotExist)
        {
            await WriteErrorAsync(http, "InvalidRequestException", e.Message, "INVALID_INPUT", 400);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.Athena").LogError(e, "Athena call failed");
            await WriteErrorAsync(http, "InternalServerException", $"Internal error: {e.Message}", null, 500);
        }
    }

    private static StartQueryExecutionOutput Start(StartQueryExecutionInput input, IOfflineQueryEngine engine)
    {
        if (string.IsNullOrWhiteSpace(input.QueryString) || input.QueryString.Length > MaxQueryLength)
        {
            throw Invalid($"1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length between 1 and {MaxQueryLength}");
        }

        if (input.ClientRequestToken is { Length: < 32 or > 128 })
        {
            throw Invalid("1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 128");
        }

        var workGroup = input.WorkGroup ?? WorkGroup;
        if (!WorkGroupPattern().IsMatch(workGroup))
        {
            throw Invalid($"1 validation error detected: Value '{workGroup}' at 'workGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9._-]{{1,128}}");
        }

        if (workGroup != WorkGroup)
        {
            throw Invalid($"WorkGroup {workGroup} is not found.");
        }

        if (input.ExecutionParameters is not null)
        {
            throw Invalid("ExecutionParameters are not supported by Kiln: put the values in the query string.");
        }

        var context = input.QueryExecutionContext;
        if (context?.Database is { Length: < 1 or > 255 })
        {
            throw Invalid("1 validation error detected: Value at 'queryExecutionContext.database' failed to satisfy constraint: Member must have length between 1 and 255");
        }

        if (context?.Catalog is { Length: < 1 or > 256 })
        {
            throw Invalid("1 validation error detected: Value at 'queryExecutionContext.catalog' failed to satisfy constraint: Member must have length between 1 and 256");
        }

        var output = input.ResultConfiguration?.OutputLocation;
        if (string.IsNullOrEmpty(output))
        {
            throw Invalid("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.");
        }

        if (!output.StartsWith("s3://", StringComparison.Ordinal) || output.Length <= "s3://".Length || output["s3://".Length..].StartsWith('/'))
        {
            throw Invalid($"The output location {output} is not an S3 URI (s3://bucket/prefix/).");
        }

        var started = engine.Start(new QueryRequest(input.QueryString, context?.Catalog, context?.Database, output, workGroup, input.ClientRequestToken));
        return new StartQueryExecutionOutput(started.Id);
    }

    private static GetQueryResultsOutput Results(GetQueryResultsInput input, IOfflineQueryEngine engine)
    {
        if (input.MaxResults is < 1 or > 1000)
        {
            throw Invalid($"1 validation error detected: Value '{input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000");
        }

        var execution = Known(engine, input.QueryExecutionId);
        if (!execution.IsFinal)
        {
            throw Invalid($"Query has not yet finished. Current state: {State(execution.State)}");
        }

        var result = engine.Result(execution.Id)
            ?? throw Invalid($"Query did not finish successfully. Final query state: {State(execution.State)}");

        // The header row is the first row of the first page, and counts towards MaxResults, as in Athena.
        var offset = input.NextToken is null ? 0 : PageToken.Decode(input.NextToken);
        var max = input.MaxResults ?? 1000;
        var total = result.Rows.Count + 1;
        var rows = new List<Row>();
        for (var i = offset; i < total && rows.Count < max; i++)
        {
            rows.Add(i == 0
                ? new Row([.. result.Columns.Select(column => new Datum(column.Name))])
                : new Row([.. result.Rows[(int)i - 1].Select(value => new Datum(value))]));
        }

        var next = offset + rows.Count;
        var columns = result.Columns.Select(column => new ColumnInfo("hive", "", "", column.Name, column.Name, column.Type, Precision(column.Type), 0, "UNKNOWN", column.Type == "varchar")).ToList();
        return new GetQueryResultsOutput(0, new ResultSet(rows, new ResultSetMetadata(columns)), next < total ? PageToken.Encode(next) : null);
    }

    private static object Stop(QueryExecutionIdInput input, IOfflineQueryEngine engine)
    {
        Known(engine, input.QueryExecutionId);
        engine.Stop(input.QueryExecutionId!);
        return new { };
    }

    private static ListQueryExecutionsOutput List(ListQueryExecutionsInput input, IOfflineQueryEngine engine)
    {
        if (input.MaxResults is < 0 or > 50)
        {
            throw Invalid($"1 validation error detected: Value '{input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 50");
        }

        var workGroup = input.WorkGroup ?? WorkGroup;
        if (workGroup != WorkGroup)
        {
            throw Invalid($"WorkGroup {workGroup} is not found.");
        }

        var page = PageToken.Slice(engine.List(workGroup).Select(execution => execution.Id).ToList(), input.NextToken, input.MaxResults is null or 0 ? 50 : input.MaxResults.Value);
        return new ListQueryExecutionsOutput(page.Items, page.NextPageToken);
    }

    private static QueryExecution Known(IOfflineQueryEngine engine, string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 128 || id.Any(char.IsWhiteSpace))
        {
            throw Invalid("1 validation error detected: Value at 'queryExecutionId' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: \\S+");
        }

        return engine.Find(id) ?? throw Invalid($"QueryExecution {id} was not found");
    }

    private static QueryExecutionShape Shape(QueryExecution execution)
    {
        var request = execution.Request;
        var error = execution.State == QueryState.Failed ? new AthenaError(2, 1100, false, execution.StateChangeReason) : null;
        var millis = execution.CompletionTime is { } done ? (long)(done - execution.SubmissionTime).TotalMilliseconds : (long?)null;
        return new QueryExecutionShape(
            execution.Id,
            request.Sql,
            "DML",
            new ResultConfigurationShape(execution.OutputUri),
            new QueryExecutionContextShape(request.Database, request.Catalog),
            new QueryExecutionStatus(State(execution.State), execution.StateChangeReason, execution.SubmissionTime, execution.CompletionTime, error),
            new QueryExecutionStatistics(execution.EngineMillis, execution.DataScannedBytes, millis, 0),
            request.WorkGroup,
            new EngineVersion("AUTO", "Athena engine version 3 (Kiln on DuckDB)"));
    }

    private static string State(QueryState state) => state.ToString().ToUpperInvariant();

    private static int Precision(string type) => type switch
    {
        "bigint" => 19,
        "integer" => 10,
        "double" => 17,
        "boolean" => 0,
        "timestamp" => 3,
        _ => 2147483647,
    };

    private static AthenaException Invalid(string message) => new(message, "InvalidRequestException");

    private static async Task<T> ReadAsync<T>(HttpContext http)
        where T : class
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        if (body.Length == 0)
        {
            body.Write("{}"u8);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), Json)
                ?? throw Invalid("The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw Invalid(e.Path is { Length: > 1 } ? $"Could not read the request: the value at {e.Path} has the wrong type or is malformed." : "Could not read the request: the body is not a valid JSON object.");
        }
    }

    private static Task WriteErrorAsync(HttpContext http, string type, string message, string? athenaCode, int status) =>
        AwsJson.WriteErrorAsync(http.Response, status, type, message, "Message", athenaCode is null ? null : [new("AthenaErrorCode", athenaCode)]);

    [GeneratedRegex("^[a-zA-Z0-9._-]{1,128}$")]
    private static partial Regex WorkGroupPattern();

    private sealed class AthenaException(string message, string type) : Exception(message)
    {
        public string Type { get; } = type;
    }

    private sealed record StartQueryExecutionInput(
        string? QueryString,
        string? ClientRequestToken,
        QueryExecutionContextShape? QueryExecutionContext,
        ResultConfigurationShape? ResultConfiguration,
        string? WorkGroup,
        List<string>? ExecutionParameters);

    private sealed record QueryExecutionIdInput(string? QueryExecutionId);

    private sealed record GetQueryResultsInput(string? QueryExecutionId, string? NextToken, int? MaxResults);

    private sealed record ListQueryExecutionsInput(string? NextToken, int? MaxResults, string? WorkGroup);

    private sealed record StartQueryExecutionOutput(string QueryExecutionId);

    private sealed record QueryExecutionContextShape(string? Database, string? Catalog);

    private sealed record ResultConfigurationShape(string? OutputLocation);

    private sealed record GetQueryExecutionOutput(QueryExecutionShape QueryExecution);

    private sealed record QueryExecutionShape(
        string QueryExecutionId,
        string Query,
        string StatementType,
        ResultConfigurationShape ResultConfiguration,
        QueryExecutionContextShape QueryExecutionContext,
        QueryExecutionStatus Status,
        QueryExecutionStatistics Statistics,
        string WorkGroup,
        EngineVersion EngineVersion);

    private sealed record QueryExecutionStatus(string State, string? StateChangeReason, DateTimeOffset SubmissionDateTime, DateTimeOffset? CompletionDateTime, AthenaError? AthenaError);

    private sealed record AthenaError(int ErrorCategory, int ErrorType, bool Retryable, string? ErrorMessage);

    private sealed record QueryExecutionStatistics(long EngineExecutionTimeInMillis, long DataScannedInBytes, long? TotalExecutionTimeInMillis, long QueryQueueTimeInMillis);

    private sealed record EngineVersion(string SelectedEngineVersion, string EffectiveEngineVersion);

    private sealed record GetQueryResultsOutput(long UpdateCount, ResultSet ResultSet, string? NextToken);

    private sealed record ResultSet(List<Row> Rows, ResultSetMetadata ResultSetMetadata);

    private sealed record Row(List<Datum> Data);

    private sealed record Datum([property: JsonPropertyName("VarCharValue")] string? VarCharValue);

    private sealed record ResultSetMetadata(List<ColumnInfo> ColumnInfo);

    private sealed record ColumnInfo(string CatalogName, string SchemaName, string TableName, string Name, string Label, string Type, int Precision, int Scale, string Nullable, bool CaseSensitive);

    private sealed record ListQueryExecutionsOutput(IReadOnlyList<string> QueryExecutionIds, string? NextToken);
}
