namespace Kiln.Core.FeatureStore;

/// <summary>
/// One record in a group's online store: the latest values for one identifier, or a soft-delete marker that keeps
/// older writes out. Values are the strings PutRecord received, in the order given.
/// </summary>
public sealed record OnlineRecord
{
    public required string GroupKey { get; init; }

    public required string RecordId { get; init; }

    public required DateTimeOffset EventTime { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Values { get; init; }

    public bool Deleted { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsLive(DateTimeOffset now) => !Deleted && (ExpiresAt is not { } expires || expires > now);
}

/// <summary>
/// What a group's online store holds at a given time: live records (neither deleted nor expired), soft-delete markers,
/// records past their ExpiresAt, and the event-time range of the live ones (null when there are none).
/// </summary>
public sealed record OnlineStoreSummary(long Live, long Deleted, long Expired, DateTimeOffset? OldestEventTime, DateTimeOffset? NewestEventTime)
{
    public long Total => Live + Deleted + Expired;
}

/// <summary>
/// The online store: the record with the latest event time per (group, identifier). Writes are conditional and
/// atomic, so two writers racing never let an older event replace a newer one.
/// </summary>
public interface IOnlineRecordStore
{
    Task<OnlineRecord?> FindAsync(string groupKey, string recordId, CancellationToken ct = default);

    Task<IReadOnlyList<OnlineRecord>> FindManyAsync(string groupKey, IReadOnlyList<string> recordIds, CancellationToken ct = default);

    /// <summary>
    /// Writes <paramref name="record"/> (a value or a soft-delete marker) unless the stored one has a later event time
    /// and has not expired by <paramref name="now"/>; true when written.
    /// </summary>
    Task<bool> PutIfNotOlderAsync(OnlineRecord record, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Removes the record unless the stored one has a later event time (and has not expired); false when a later record was kept.</summary>
    Task<bool> RemoveIfNotOlderAsync(string groupKey, string recordId, DateTimeOffset eventTime, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Counts the group's records at <paramref name="now"/> and the event-time range of the live ones (an aggregate in the store, no record read out).</summary>
    Task<OnlineStoreSummary> SummarizeAsync(string groupKey, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>At most <paramref name="limit"/> live records of the group at <paramref name="now"/>, latest event time first (ties by identifier).</summary>
    Task<IReadOnlyList<OnlineRecord>> ListLatestAsync(string groupKey, DateTimeOffset now, int limit, CancellationToken ct = default);

    /// <summary>Removes every record of a group (DeleteFeatureGroup).</summary>
    Task RemoveGroupAsync(string groupKey, CancellationToken ct = default);
}
