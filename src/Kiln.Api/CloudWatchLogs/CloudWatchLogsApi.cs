using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Api.SageMaker;
using Kiln.Core.Common;
using Kiln.Core.Logs;
using Kiln.Core.Serving;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.CloudWatchLogs;

/// <summary>
/// The CloudWatch Logs operations SageMaker's SDK and the AWS CLI read job logs with, on the SageMaker endpoint
/// (AWS JSON 1.1, <c>X-Amz-Target: Logs_20140328.&lt;Operation&gt;</c>), over the logs Kiln keeps for its jobs.
/// </summary>
internal static class CloudWatchLogsApi
{
    public const string TargetPrefix = "Logs_20140328.";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static async Task DispatchAsync(HttpContext http, string operation)
    {
        try
        {
            var services = http.RequestServices;
            var groups = new LogGroups(services.GetRequiredService<IJobLogFiles>(), services.GetRequiredService<IEndpointLogFiles>(), services.GetRequiredService<IServingStore>());
            var region = AwsCaller.From(http.Request).Region;
            var ct = http.RequestAborted;
            object response = operation switch
            {
                "GetLogEvents" => await GetLogEventsAsync(await ReadAsync<GetLogEventsRequest>(http), groups, ct),
                "DescribeLogStreams" => await DescribeLogStreamsAsync(await ReadAsync<DescribeLogStreamsRequest>(http), groups, region, ct),
                "FilterLogEvents" => await FilterLogEventsAsync(await ReadAsync<FilterLogEventsRequest>(http), groups, ct),
                "DescribeLogGroups" => await DescribeLogGroupsAsync(await ReadAsync<DescribeLogGroupsRequest>(http), groups, region, ct),
                _ => throw new LogsException("UnknownOperationException", $"The CloudWatch Logs operation {operation} is not supported by Kiln (it serves GetLogEvents, FilterLogEvents, DescribeLogStreams and DescribeLogGroups)."),
            };
            http.Response.ContentType = AwsJson.ContentType;
            await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), Json), http.RequestAborted);
        }
        catch (LogsException e)
        {
            await WriteErrorAsync(http, e.Type, e.Message, 400);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            await WriteErrorAsync(http, "ServiceUnavailableException", StoreOutage.Message(e), 503);
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.CloudWatchLogs").LogError(e, "CloudWatch Logs call failed");
            await WriteErrorAsync(http, "ServiceUnavailableException", $"Internal error: {e.Message}", 500);
        }
    }

    private static async Task<GetLogEventsResponse> GetLogEventsAsync(GetLogEventsRequest request, LogGroups groups, CancellationToken ct)
    {
        var group = await groups.OpenAsync(LogGroups.Resolve(request.LogGroupName, request.LogGroupIdentifier), ct);
        if (string.IsNullOrEmpty(request.LogStreamName))
        {
            throw LogsException.Invalid("logStreamName is required.");
        }

        return LogEventPages.Get(group.Stream(request.LogStreamName).Events, request);
    }

    private static async Task<DescribeLogStreamsResponse> DescribeLogStreamsAsync(DescribeLogStreamsRequest request, LogGroups groups, string region, CancellationToken ct)
    {
        var group = LogGroups.Resolve(request.LogGroupName, request.LogGroupIdentifier);
        var source = await groups.OpenAsync(group, ct);
        var limit = LogEventPages.Limit(request.Limit, 50);
        var byTime = request.OrderBy switch
        {
            null or "LogStreamName" => false,
            "LastEventTime" => true,
            _ => throw LogsException.Invalid($"1 validation error detected: Value '{request.OrderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"),
        };
        if (byTime && request.LogStreamNamePrefix is not null)
        {
            throw LogsException.Invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
        }

        IEnumerable<LogStreamEvents> streams = source.Streams(request.LogStreamNamePrefix);
        if (byTime)
        {
            streams = streams.OrderBy(stream => stream.Events[^1].Timestamp).ThenBy(stream => stream.Name, StringComparer.Ordinal);
        }

        if (request.Descending == true)
        {
            streams = streams.Reverse();
        }

        var all = streams.ToList();
        var offset = Offset(request.NextToken);
        var page = all.Skip(offset).Take(limit).Select(stream => new LogStreamShape(
            stream.Name,
            stream.Events[0].Timestamp,
            stream.Events[0].Timestamp,
            stream.Events[^1].Timestamp,
            stream.Events[^1].Timestamp,
            $"{GroupArn(region, group)}:log-stream:{stream.Name}",
            0)).ToList();
        return new DescribeLogStreamsResponse(page, offset + page.Count < all.Count ? PageToken.Encode(offset + page.Count) : null);
    }

    private static async Task<FilterLogEventsResponse> FilterLogEventsAsync(FilterLogEventsRequest request, LogGroups groups, CancellationToken ct)
    {
        var group = await groups.OpenAsync(LogGroups.Resolve(request.LogGroupName, request.LogGroupIdentifier), ct);
        var limit = LogEventPages.Limit(request.Limit, LogEventPages.MaxEvents);
        if (request.LogStreamNames is not null && request.LogStreamNamePrefix is not null)
        {
            throw LogsException.Invalid("logStreamNames and logStreamNamePrefix are mutually exclusive.");
        }

        if (request.LogStreamNames is { Count: < 1 or > 100 } names)
        {
            throw LogsException.Invalid($"1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100 (it has {names.Count}).");
        }

        var pattern = FilterPattern.Parse(request.FilterPattern);
        var streams = request.LogStreamNames is { } wanted
            ? wanted.Distinct(StringComparer.Ordinal).Select(group.Stream).ToList()
            : group.Streams(request.LogStreamNamePrefix);
        var matches = streams
            .SelectMany(stream =>
            {
                var (lo, hi) = LogEventPages.TimeRange(stream.Events, request.StartTime, request.EndTime);
                return Enumerable.Range(lo, hi - lo).Select(i => (Stream: stream.Name, Index: i, Line: stream.Events[i]));
            })
            .Where(match => pattern.Matches(match.Line.Message))
            .OrderBy(match => match.Line.Timestamp).ThenBy(match => match.Stream, StringComparer.Ordinal).ThenBy(match => match.Index)
            .ToList();
        var offset = Offset(request.NextToken);
        var events = new List<FilteredLogEvent>();
        var bytes = 0;
        foreach (var (stream, index, line) in matches.Skip(offset))
        {
            if (events.Count == limit || (bytes += LogEventPages.Size(line)) > LogEventPages.MaxBytes)
            {
                break;
            }

            events.Add(new FilteredLogEvent(stream, line.Timestamp, line.Message, line.Timestamp, EventId(stream, index, line.Timestamp)));
        }

        var more = offset + events.Count < matches.Count;
        return new FilterLogEventsResponse(
            events,
            streams.Select(stream => new SearchedLogStream(stream.Name, !more)).ToList(),
            more ? PageToken.Encode(offset + events.Count) : null);
    }

    private static async Task<DescribeLogGroupsResponse> DescribeLogGroupsAsync(DescribeLogGroupsRequest request, LogGroups groups, string region, CancellationToken ct)
    {
        var limit = LogEventPages.Limit(request.Limit, 50);
        if (request.LogGroupNamePrefix is not null && request.LogGroupNamePattern is not null)
        {
            throw LogsException.Invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.");
        }

        var all = (await groups.NamesAsync(ct))
            .Where(name => request.LogGroupNamePrefix is not { } prefix || name.StartsWith(prefix, StringComparison.Ordinal))
            .Where(name => request.LogGroupNamePattern is not { } pattern || name.Contains(pattern, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var offset = Offset(request.NextToken);
        var page = all.Skip(offset).Take(limit)
            .Select(name => new LogGroupShape(name, null, 0, $"{GroupArn(region, name)}:*", 0, "STANDARD", GroupArn(region, name)))
            .ToList();
        return new DescribeLogGroupsResponse(page, offset + page.Count < all.Count ? PageToken.Encode(offset + page.Count) : null);
    }

    private static string GroupArn(string region, string group) => $"arn:aws:logs:{region}:{Arns.AccountId}:log-group:{group}";

    /// <summary>Stable for an event: its time, then its stream and position, as digits.</summary>
    private static string EventId(string stream, int index, long timestamp)
    {
        var hash = 2166136261u;
        foreach (var c in stream)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return $"{timestamp:D20}{hash:D10}{index:D10}";
    }

    private static int Offset(string? token)
    {
        try
        {
            return checked((int)PageToken.Decode(token));
        }
        catch (Exception e) when (e is KilnException or OverflowException)
        {
            throw LogsException.Invalid("The specified nextToken is invalid.");
        }
    }

    private static async Task<T> ReadAsync<T>(HttpContext http)
        where T : class
    {
        const long MaxBody = 1024 * 1024;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        if (body.Length > MaxBody)
        {
            throw new LogsException("InvalidParameterException", $"The request body is larger than {MaxBody} bytes.");
        }

        try
        {
            return body.Length == 0
                ? JsonSerializer.Deserialize<T>("{}", Json)!
                : JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), Json)
                    ?? throw new LogsException("SerializationException", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new LogsException("SerializationException", e.Path is { Length: > 1 }
                ? $"Could not read the request: the value at {e.Path} has the wrong type or is malformed."
                : "Could not read the request: the body is not a valid JSON object.");
        }
    }

    private static Task WriteErrorAsync(HttpContext http, string type, string message, int status) =>
        AwsJson.WriteErrorAsync(http.Response, status, type, message);
}
