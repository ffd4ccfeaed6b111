using System.Text.Json;
using Kiln.Core.FeatureStore;
using Npgsql;

namespace Kiln.Storage.Postgres.FeatureStore;

/// <summary>
/// The online store on PostgreSQL: one row per record, replaced only by a write whose event time is not older (an upsert
/// with a WHERE, so atomic across the nodes writing to it).
/// </summary>
public sealed class PostgresOnlineRecordStore(PostgresDatabase db) : IOnlineRecordStore
{
    private const string Columns = "group_key, record_id, event_time, deleted, expires_at, record_values";
    private const string FindOne = $"SELECT {Columns} FROM feature_records WHERE group_key = @group AND record_id = @id";

    public Task<OnlineRecord?> FindAsync(string groupKey, string recordId, CancellationToken ct = default) =>
        db.ReadAsync(session => session.QuerySingleAsync(FindOne, Read, ("group", groupKey), ("id", recordId)), ct);

    public Task<IReadOnlyList<OnlineRecord>> FindManyAsync(string groupKey, IReadOnlyList<string> recordIds, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<OnlineRecord>>(async session =>
        {
            var records = new List<OnlineRecord>();
            foreach (var id in recordIds.Distinct(StringComparer.Ordinal))
            {
                if (await session.QuerySingleAsync(FindOne, Read, ("group", groupKey), ("id", id)).ConfigureAwait(false) is { } record)
                {
                    records.Add(record);
                }
            }

            return records;
        }, ct);

    public Task<bool> PutIfNotOlderAsync(OnlineRecord record, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            // @expires is a null text parameter for a record that does not expire: the cast gives it the column's type.
            $"INSERT INTO feature_records ({Columns}) VALUES (@group, @id, @time, @deleted, @expires::bigint, @values) " +
            "ON CONFLICT (group_key, record_id) DO UPDATE SET event_time = excluded.event_time, deleted = excluded.deleted, expires_at = excluded.expires_at, record_values = excluded.record_values " +
            "WHERE excluded.event_time >= feature_records.event_time OR feature_records.expires_at <= @now",
            ("group", record.GroupKey), ("id", record.RecordId), ("time", record.EventTime.UtcTicks), ("deleted", record.Deleted),
            ("expires", record.ExpiresAt?.UtcTicks), ("values", JsonSerializer.Serialize(record.Values.Select(pair => new[] { pair.Key, pair.Value }))),
            ("now", now.UtcTicks)).ConfigureAwait(false) == 1, ct);

    public Task<bool> RemoveIfNotOlderAsync(string groupKey, string recordId, DateTimeOffset eventTime, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            await session.ExecuteAsync(
                "DELETE FROM feature_records WHERE group_key = @group AND record_id = @id AND (event_time <= @time OR expires_at <= @now)",
                ("group", groupKey), ("id", recordId), ("time", eventTime.UtcTicks), ("now", now.UtcTicks)).ConfigureAwait(false);
            return await session.ScalarAsync("SELECT 1 FROM feature_records WHERE group_key = @group AND record_id = @id", ("group", groupKey), ("id", recordId)).ConfigureAwait(false) is null;
        }, ct);

    public async Task<OnlineStoreSummary> SummarizeAsync(string groupKey, DateTimeOffset now, CancellationToken ct = default) =>
        (await db.ReadAsync(session => session.QuerySingleAsync(
            "SELECT COUNT(*) FILTER (WHERE NOT deleted AND (expires_at IS NULL OR expires_at > @now)), COUNT(*) FILTER (WHERE deleted), " +
            "COUNT(*) FILTER (WHERE NOT deleted AND expires_at <= @now), " +
            "MIN(event_time) FILTER (WHERE NOT deleted AND (expires_at IS NULL OR expires_at > @now)), MAX(event_time) FILTER (WHERE NOT deleted AND (expires_at IS NULL OR expires_at > @now)) " +
            "FROM feature_records WHERE group_key = @group",
            reader => new OnlineStoreSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), Ticks(reader, 3), Ticks(reader, 4)),
            ("group", groupKey), ("now", now.UtcTicks)), ct).ConfigureAwait(false))!;

    public Task<IReadOnlyList<OnlineRecord>> ListLatestAsync(string groupKey, DateTimeOffset now, int limit, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<OnlineRecord>>(async session => await session.QueryAsync(
            $"SELECT {Columns} FROM feature_records WHERE group_key = @group AND NOT deleted AND (expires_at IS NULL OR expires_at > @now) " +
            "ORDER BY event_time DESC, record_id LIMIT @limit",
            Read, ("group", groupKey), ("now", now.UtcTicks), ("limit", limit)).ConfigureAwait(false), ct);

    public Task RemoveGroupAsync(string groupKey, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync("DELETE FROM feature_records WHERE group_key = @group", ("group", groupKey)), ct);

    private static DateTimeOffset? Ticks(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    private static OnlineRecord Read(NpgsqlDataReader reader) => new()
    {
        GroupKey = reader.GetString(0),
        RecordId = reader.GetString(1),
        EventTime = new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
        Deleted = reader.GetBoolean(3),
        ExpiresAt = reader.IsDBNull(4) ? null : new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
        Values = JsonSerializer.Deserialize<string[][]>(reader.GetString(5))!.Select(pair => KeyValuePair.Create(pair[0], pair[1])).ToList(),
    };
}
