using Kiln.Core.Common;
using Kiln.Core.FeatureStore;

namespace Kiln.Studio.Data.FeatureStore;

/// <summary>A feature group in the list: its definition and what its online store holds now (null without an online store).</summary>
public sealed record FeatureGroupRow(FeatureGroup Group, OnlineStoreSummary? Online);

/// <summary>
/// A feature group's page: the definition, the online store counted at <see cref="Now"/>, and the statistics of the
/// latest live records (at most <see cref="FeatureStoreQuery.MaxSampledRecords"/>, <see cref="Sampled"/> of them).
/// </summary>
public sealed record FeatureGroupView(FeatureGroup Group, OnlineStoreSummary? Online, int Sampled, IReadOnlyList<FeatureStatistics> Statistics, DateTimeOffset Now)
{
    /// <summary>How old the latest live event is; null when the online store has no live record.</summary>
    public TimeSpan? NewestAge => Online?.NewestEventTime is { } newest ? Now - newest : null;

    /// <summary>True when the sample is not every live record.</summary>
    public bool Truncated => Online is { } online && Sampled < online.Live;
}

/// <summary>The feature store pages' questions, asked of the feature store services in process (the same the SageMaker APIs use).</summary>
public sealed class FeatureStoreQuery(FeatureGroupService groups, FeatureRecordService records, TimeProvider clock)
{
    /// <summary>At most this many records are read for a group's statistics, so a big group renders as fast as a small one.</summary>
    public const int MaxSampledRecords = 1000;

    /// <summary>One page of groups by name (<paramref name="pageSize"/> at most), each with its online store's summary.</summary>
    public async Task<(IReadOnlyList<FeatureGroupRow> Rows, string? NextPageToken)> ListAsync(int pageSize, string? pageToken, CancellationToken ct = default)
    {
        var page = await groups.ListAsync(new ListQuery(SortBy: ListSort.Name, Ascending: true, MaxResults: pageSize, PageToken: pageToken), ct);
        var rows = new List<FeatureGroupRow>(page.Items.Count);
        foreach (var group in page.Items)
        {
            rows.Add(new FeatureGroupRow(group, group.OnlineStore is null ? null : await records.SummarizeOnlineAsync(group, ct)));
        }

        return (rows, page.NextPageToken);
    }

    /// <summary>The group with its online store's summary and statistics; null when there is no such group.</summary>
    public async Task<FeatureGroupView?> LoadAsync(string name, CancellationToken ct = default)
    {
        FeatureGroup group;
        try
        {
            group = await groups.GetAsync(name, ct);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (group.OnlineStore is null)
        {
            return new FeatureGroupView(group, null, 0, FeatureStatistics.Compute(group, []), now);
        }

        var summary = await records.SummarizeOnlineAsync(group, ct);
        var latest = await records.LatestOnlineAsync(group, MaxSampledRecords, ct);
        return new FeatureGroupView(group, summary, latest.Count, FeatureStatistics.Compute(group, latest), now);
    }
}
