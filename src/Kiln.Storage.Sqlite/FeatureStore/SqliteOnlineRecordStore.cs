using System.Text.Json;
using Kiln.Core.FeatureStore;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.FeatureStore;

/// <summary>The online store on SQLite: one row per record, replaced only by a write whose event time is not older (an upsert with a WHERE, so atomic).</summary>
public sealed class SqliteOnlineRecordStore(SqliteDatabase db) : IOnlineRecordStore
{
    private const string Columns = "group_key, record_id, event_time, deleted, expires_at, record_values";

    public Task<OnlineRecord?> FindAsync(string groupKey, string recordId, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            $"SELECT {Columns} FROM feature_records WHERE group_key = $group AND record_id = $id", Read, ("$group", groupKey), ("$id", recordId))));

    public Task<IReadOnlyList<OnlineRecord>> FindManyAsync(string groupKey, IReadOnlyList<string> recordIds, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<OnlineRecord>>(db.Read(session => recordIds.Distinct(StringComparer.Ordinal)
            .Select(id => session.QuerySingle($"SELECT {Columns} FROM feature_records WHERE group_key = $group AND record_id = $id", Read, ("$group", groupKey), ("$id", id)))
            .OfType<OnlineRecord>()
            .ToList()));

    public Task<bool> PutIfNotOlderAsync(OnlineRecord record, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            $"INSERT INTO feature_records ({Columns}) VALUES ($group, $id, $time, $deleted, $expires, $values) " +
            "ON CONFLICT (group_key, record_id) DO UPDATE SET event_time = excluded.event_time, deleted = excluded.deleted, expires_at = excluded.expires_at, record_values = excluded.record_values " +
            "WHERE excluded.event_time >= feature_records.event_time OR feature_records.expires_at <= $now",
            ("$group", record.GroupKey), ("$id", record.RecordId), ("$time", record.EventTime.UtcTicks), ("$deleted", record.Deleted ? 1 : 0),
            ("$expires", record.ExpiresAt?.UtcTicks), ("$values", JsonSerializer.Serialize(record.Values.Select(pair => new[] { pair.Key, pair.Value }))), ("$now", now.UtcTicks)) == 1, ct);

    public Task<bool> RemoveIfNotOlderAsync(string groupKey, string recordId, DateTimeOffset eventTime, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(session =>
        {
            session.Execute(
                "DELETE FROM feature_records WHERE group_key = $group AND record_id = $id AND (event_time <= $time OR expires_at <= $now)",
                ("$group", groupKey), ("$id", recordId), ("$time", eventTime.UtcTicks), ("$now", now.UtcTicks));
            return session.Scalar("SELECT 1 FROM feature_records WHERE group_key = $group AND record_id = $id", ("$group", groupKey), ("$id", recordId)) is null;
        }, ct);

    public Task<OnlineStoreSummary> SummarizeAsync(string groupKey, DateTimeOffset now, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            "SELECT COUNT(CASE WHEN deleted = 0 AND (expires_at IS NULL OR expires_at > $now) THEN 1 END), COUNT(CASE WHEN deleted <> 0 THEN 1 END), " +
            "COUNT(CASE WHEN deleted = 0 AND expires_at <= $now THEN 1 END), " +
            "MIN(CASE WHEN deleted = 0 AND (expires_at IS NULL OR expires_at > $now) THEN event_time END), MAX(CASE WHEN deleted = 0 AND (expires_at IS NULL OR expires_at > $now) THEN event_time END) " +
            "FROM feature_records WHERE group_key = $group",
            reader => new OnlineStoreSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), Ticks(reader, 3), Ticks(reader, 4)),
            ("$group", groupKey), ("$now", now.UtcTicks))!));

    public Task<IReadOnlyList<OnlineRecord>> ListLatestAsync(string groupKey, DateTimeOffset now, int limit, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<OnlineRecord>>(db.Read(session => session.Query(
            $"SELECT {Columns} FROM feature_records WHERE group_key = $group AND deleted = 0 AND (expires_at IS NULL OR expires_at > $now) " +
            "ORDER BY event_time DESC, record_id LIMIT $limit",
            Read, ("$group", groupKey), ("$now", now.UtcTicks), ("$limit", limit))));

    public Task RemoveGroupAsync(string groupKey, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM feature_records WHERE group_key = $group", ("$group", groupKey)), ct);

    private static DateTimeOffset? Ticks(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    private static OnlineRecord Read(SqliteDataReader reader) => new()
    {
        GroupKey = reader.GetString(0),
        RecordId = reader.GetString(1),
        EventTime = new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
        Deleted = reader.GetInt64(3) != 0,
        ExpiresAt = reader.IsDBNull(4) ? null : new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
        Values = JsonSerializer.Deserialize<string[][]>(reader.GetString(5))!.Select(pair => KeyValuePair.Create(pair[0], pair[1])).ToList(),
    };
}
