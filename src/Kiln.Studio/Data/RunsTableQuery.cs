using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Studio.Data;

/// <summary>A column of the runs table beyond the fixed ones: a param or a metric (its latest value).</summary>
public sealed record RunColumn(string Kind, string Key)
{
    /// <summary>The column as written in the URL and in MLflow's grammar: <c>params.lr</c>, <c>metrics.acc</c>.</summary>
    public string Id => $"{Kind}.{Key}";

    /// <summary>MLflow's order_by spelling (backticks allow any key).</summary>
    public string OrderBy(bool ascending) => $"{Kind}.`{Key}` {(ascending ? "ASC" : "DESC")}";

    public string? ValueOf(Run run) => Kind == "params"
        ? run.Data.Params.FirstOrDefault(p => p.Key == Key)?.Value
        : run.Data.Metrics.FirstOrDefault(m => m.Key == Key) is { } metric ? Format.Number(metric.Value) : null;

    public static RunColumn? Parse(string id)
    {
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && id[..dot] is "params" or "metrics" && dot < id.Length - 1 ? new RunColumn(id[..dot], id[(dot + 1)..]) : null;
    }
}

/// <summary>What the runs table asks for, as carried in its URL.</summary>
public sealed record RunsTableRequest(string ExperimentId, string? Filter, string? Sort, bool Ascending, int Page, int PageSize, IReadOnlyList<RunColumn>? Columns);

public sealed record RunsTable(
    IReadOnlyList<Run> Runs,
    IReadOnlyList<RunColumn> Columns,
    IReadOnlyList<RunColumn> AvailableColumns,
    long TotalCount,
    bool HasNextPage,
    string? Error);

/// <summary>
/// One page of an experiment's runs, filtered and sorted by the tracking service itself (MLflow's grammar, paged in
/// the store), so the table stays fast at any number of runs; with how many runs match and every param and metric key
/// of the experiment (the column chooser offers keys that no run on this page has).
/// </summary>
public sealed class RunsTableQuery(TrackingService tracking)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    private const int DefaultColumnsPerKind = 5;

    /// <summary>The fixed columns one can sort by, with their MLflow attribute names.</summary>
    public static readonly IReadOnlyDictionary<string, string> AttributeSorts = new Dictionary<string, string>
    {
        ["name"] = "attributes.run_name",
        ["start"] = "attributes.start_time",
        ["status"] = "attributes.status",
    };

    public async Task<RunsTable> LoadAsync(RunsTableRequest request, CancellationToken ct = default)
    {
        var pageSize = Math.Clamp(request.PageSize, 1, MaxPageSize);
        var offset = (long)(Math.Max(request.Page, 1) - 1) * pageSize;
        Page<Run> page;
        long total;
        try
        {
            total = await tracking.CountRunsAsync([request.ExperimentId], request.Filter, ViewType.ActiveOnly, ct);
            page = await tracking.SearchRunsAsync(
                [request.ExperimentId],
                request.Filter,
                ViewType.ActiveOnly,
                pageSize,
                [OrderBy(request.Sort, request.Ascending)],
                offset == 0 ? null : PageToken.Encode(offset),
                ct);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            return new RunsTable([], request.Columns ?? [], [], 0, false, e.Message);
        }

        var keys = await tracking.ListRunKeysAsync([request.ExperimentId], ViewType.ActiveOnly, ct);
        var available = keys.Params.Select(key => new RunColumn("params", key))
            .Concat(keys.Metrics.Select(key => new RunColumn("metrics", key)))
            .ToList();
        var columns = request.Columns
            ?? available.Where(c => c.Kind == "metrics").Take(DefaultColumnsPerKind)
                .Concat(available.Where(c => c.Kind == "params").Take(DefaultColumnsPerKind)).ToList();
        return new RunsTable(page.Items, columns, available.Union(columns).ToList(), total, page.NextPageToken is not null, null);
    }

    private static string OrderBy(string? sort, bool ascending)
    {
        if (sort is not null && AttributeSorts.TryGetValue(sort, out var attribute))
        {
            return $"{attribute} {(ascending ? "ASC" : "DESC")}";
        }

        return sort is not null && RunColumn.Parse(sort) is { } column ? column.OrderBy(ascending) : $"attributes.start_time {(ascending ? "ASC" : "DESC")}";
    }
}
