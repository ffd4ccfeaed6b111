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

    /// <summary>Removes every record of a group (DeleteFeatureGroup).</summary>
    Task RemoveGroupAsync(string groupKey, CancellationToken ct = default);
}
