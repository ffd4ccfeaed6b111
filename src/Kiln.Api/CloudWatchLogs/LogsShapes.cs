namespace Kiln.Api.CloudWatchLogs;

// The request and response shapes of botocore's logs service model (2014-03-28), camelCase on the wire.
internal sealed record GetLogEventsRequest(
    string? LogGroupName,
    string? LogGroupIdentifier,
    string? LogStreamName,
    long? StartTime,
    long? EndTime,
    string? NextToken,
    int? Limit,
    bool? StartFromHead);

internal sealed record GetLogEventsResponse(IReadOnlyList<OutputLogEvent> Events, string NextForwardToken, string NextBackwardToken);

internal sealed record OutputLogEvent(long Timestamp, string Message, long IngestionTime);

internal sealed record DescribeLogStreamsRequest(
    string? LogGroupName,
    string? LogGroupIdentifier,
    string? LogStreamNamePrefix,
    string? OrderBy,
    bool? Descending,
    string? NextToken,
    int? Limit);

internal sealed record DescribeLogStreamsResponse(IReadOnlyList<LogStreamShape> LogStreams, string? NextToken);

internal sealed record LogStreamShape(
    string LogStreamName,
    long CreationTime,
    long FirstEventTimestamp,
    long LastEventTimestamp,
    long LastIngestionTime,
    string Arn,
    long StoredBytes);

internal sealed record FilterLogEventsRequest(
    string? LogGroupName,
    string? LogGroupIdentifier,
    IReadOnlyList<string>? LogStreamNames,
    string? LogStreamNamePrefix,
    long? StartTime,
    long? EndTime,
    string? FilterPattern,
    string? NextToken,
    int? Limit);

internal sealed record FilterLogEventsResponse(IReadOnlyList<FilteredLogEvent> Events, IReadOnlyList<SearchedLogStream> SearchedLogStreams, string? NextToken);

internal sealed record FilteredLogEvent(string LogStreamName, long Timestamp, string Message, long IngestionTime, string EventId);

internal sealed record SearchedLogStream(string LogStreamName, bool SearchedCompletely);

internal sealed record DescribeLogGroupsRequest(string? LogGroupNamePrefix, string? LogGroupNamePattern, string? NextToken, int? Limit);

internal sealed record DescribeLogGroupsResponse(IReadOnlyList<LogGroupShape> LogGroups, string? NextToken);

internal sealed record LogGroupShape(
    string LogGroupName,
    long? CreationTime,
    int MetricFilterCount,
    string Arn,
    long StoredBytes,
    string LogGroupClass,
    string LogGroupArn);
