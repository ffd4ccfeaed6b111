using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Core.Logs;

namespace Kiln.Api.CloudWatchLogs;

/// <summary>
/// GetLogEvents over one stream. Tokens are positions between events: <c>f/{n}</c> reads forward from event n,
/// <c>b/{n}</c> backward from it. Asked forward with nothing newer, it hands back the token it was given, which
/// is how a poller (the SageMaker SDK) knows it has caught up, and the next call with it sees new lines.
/// </summary>
internal static partial class LogEventPages
{
    public const int MaxEvents = 10_000;
    public const int MaxBytes = 1_048_576;

    /// <summary>CloudWatch counts 26 bytes of overhead per event towards a response's size.</summary>
    public const int EventOverhead = 26;

    public static GetLogEventsResponse Get(IReadOnlyList<JobLogLine> events, GetLogEventsRequest request)
    {
        var limit = Limit(request.Limit, MaxEvents);
        var (lo, hi) = TimeRange(events, request.StartTime, request.EndTime);
        var (forward, position) = request.NextToken is { } token ? Parse(token, events.Count) : (request.StartFromHead == true, request.StartFromHead == true ? lo : hi);
        if (forward)
        {
            var from = Math.Max(position, lo);
            var to = from;
            var bytes = 0;
            while (to < hi && to - from < limit && (bytes += Size(events[to])) <= MaxBytes)
            {
                to++;
            }

            var page = Page(events, from, to);
            return new GetLogEventsResponse(page, page.Count == 0 && request.NextToken is not null ? request.NextToken : Token('f', to), Token('b', from));
        }
        else
        {
            var to = Math.Min(position, hi);
            var from = to;
            var bytes = 0;
            while (from > lo && to - from < limit && (bytes += Size(events[from - 1])) <= MaxBytes)
            {
                from--;
            }

            var page = Page(events, from, to);
            return new GetLogEventsResponse(page, Token('f', to), page.Count == 0 && request.NextToken is not null ? request.NextToken : Token('b', from));
        }
    }

    public static int Limit(int? limit, int max) =>
        limit is not { } value ? max : value < 1 || value > max ? throw LogsException.OutOfRange("limit", value, 1, max) : value;

    /// <summary>The events at or after startTime and before endTime: a contiguous run, since times never go back.</summary>
    public static (int Lo, int Hi) TimeRange(IReadOnlyList<JobLogLine> events, long? startTime, long? endTime)
    {
        if (startTime < 0 || endTime < 0)
        {
            throw LogsException.Invalid("startTime and endTime must be non-negative epoch milliseconds.");
        }

        var lo = 0;
        while (lo < events.Count && events[lo].Timestamp < (startTime ?? long.MinValue))
        {
            lo++;
        }

        var hi = lo;
        while (hi < events.Count && (endTime is null || events[hi].Timestamp < endTime))
        {
            hi++;
        }

        return (lo, hi);
    }

    public static int Size(JobLogLine line) => Encoding.UTF8.GetByteCount(line.Message) + EventOverhead;

    private static List<OutputLogEvent> Page(IReadOnlyList<JobLogLine> events, int from, int to)
    {
        var page = new List<OutputLogEvent>(to - from);
        for (var i = from; i < to; i++)
        {
            page.Add(new OutputLogEvent(events[i].Timestamp, events[i].Message, events[i].Timestamp));
        }

        return page;
    }

    private static string Token(char direction, int position) => $"{direction}/{position.ToString("D56", CultureInfo.InvariantCulture)}";

    private static (bool Forward, int Position) Parse(string token, int count)
    {
        var match = TokenPattern().Match(token);
        if (!match.Success || !int.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position > count)
        {
            throw LogsException.Invalid("The specified nextToken is invalid.");
        }

        return (match.Groups[1].Value == "f", position);
    }

    [GeneratedRegex("^([fb])/([0-9]{1,56})$")]
    private static partial Regex TokenPattern();
}
