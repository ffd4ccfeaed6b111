using System.Globalization;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using StackExchange.Redis;

namespace Kiln.Storage.Redis.FeatureStore;

/// <summary>
/// The online store on Redis (<c>kiln server --online-store redis://…</c>). Each record is a hash; each group has four
/// index keys, so summaries and listings read indexes, not records:
/// <list type="bullet">
/// <item><c>time</c>: a sorted set of the group's non-deleted records, ordered by member (all scores 0) where the member
/// is the inverted event time then the identifier, so the set's order is latest event first, ties by identifier;</item>
/// <item><c>exp</c>: a sorted set of the non-deleted records that expire, member expiry time then identifier, so the
/// records expired by a time are counted with one ZLEXCOUNT;</item>
/// <item><c>expiry</c>: a hash from identifier to expiry time, for the same records;</item>
/// <item><c>deleted</c>: the set of identifiers holding a soft-delete marker.</item>
/// </list>
/// Times are .NET ticks written as 19-digit, zero-padded decimals: Lua's numbers are doubles, exact only to 2^53, and
/// ticks are about 6.4·10^17, so times are compared as equal-length strings, never as numbers.
/// Every key of a group carries the group's Redis Cluster hash tag, so a group lives on one shard and the scripts that
/// keep a record and its indexes consistent stay on one slot.
/// Records are never given a Redis expiry: an expired record stays until replaced or removed, as in the SQL stores,
/// because the store's summary counts expired records and an expired record must still be read to know it expired.
/// </summary>
public sealed class RedisOnlineRecordStore(IConnectionMultiplexer redis, string prefix = RedisOnlineRecordStore.DefaultPrefix) : IOnlineRecordStore
{
    public const string DefaultPrefix = "kiln:fs:";

    private const int TicksWidth = 19;

    /// <summary>How many index entries the scans of <see cref="ListLatestAsync"/> and <see cref="SummarizeAsync"/> read per step, and RemoveGroup removes per transaction.</summary>
    private const int Chunk = 256;

    // Both scripts' removal of the stored record (HMGET into `stored`) and of its entries in the group's indexes.
    private const string DropStored = """
        redis.call('ZREM', KEYS[2], stored[3])
        if stored[2] then
          redis.call('ZREM', KEYS[3], stored[2] .. ':' .. ARGV[1])
        end
        redis.call('HDEL', KEYS[4], ARGV[1])
        redis.call('SREM', KEYS[5], ARGV[1])
        redis.call('DEL', KEYS[1])
        """;

    // KEYS: record, time, exp, expiry, deleted. ARGV: id, event time, now, deleted (1/0), expires ("" for none), values, time member.
    private const string PutScript = $$"""
        local stored = redis.call('HMGET', KEYS[1], 't', 'e', 'o')
        if stored[1] then
          local expired = stored[2] and stored[2] <= ARGV[3]
          if ARGV[2] < stored[1] and not expired then
            return 0
          end
          {{DropStored}}
        end
        redis.call('HSET', KEYS[1], 't', ARGV[2], 'd', ARGV[4], 'v', ARGV[6], 'o', ARGV[7])
        if ARGV[5] ~= '' then
          redis.call('HSET', KEYS[1], 'e', ARGV[5])
        end
        if ARGV[4] == '1' then
          redis.call('SADD', KEYS[5], ARGV[1])
        else
          redis.call('ZADD', KEYS[2], 0, ARGV[7])
          if ARGV[5] ~= '' then
            redis.call('ZADD', KEYS[3], 0, ARGV[5] .. ':' .. ARGV[1])
            redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
          end
        end
        return 1
        """;

    // KEYS: record, time, exp, expiry, deleted. ARGV: id, event time, now. 1 when no record is left.
    private const string RemoveScript = $$"""
        local stored = redis.call('HMGET', KEYS[1], 't', 'e', 'o')
        if not stored[1] then
          return 1
        end
        local expired = stored[2] and stored[2] <= ARGV[3]
        if stored[1] > ARGV[2] and not expired then
          return 0
        end
        {{DropStored}}
        return 1
        """;

    // Shared by the index scans: up to `wanted` members of the time index whose records have not expired by `now`, latest
    // first (or oldest first when `reverse`), reading the index `chunk` entries at a time.
    private const string LiveScan = """
        local function live_members(time, expiry, now, reverse, wanted, chunk)
          local found = {}
          local start = 0
          while #found < wanted do
            local members
            if reverse then
              members = redis.call('ZREVRANGE', time, start, start + chunk - 1)
            else
              members = redis.call('ZRANGE', time, start, start + chunk - 1)
            end
            if #members == 0 then
              break
            end
            for _, member in ipairs(members) do
              local expires = redis.call('HGET', expiry, string.sub(member, 21))
              if not expires or expires > now then
                found[#found + 1] = member
                if #found == wanted then
                  break
                end
              end
            end
            start = start + chunk
          end
          return found
        end
        """;

    // KEYS: time, expiry. ARGV: now, limit, chunk. The time members of at most limit live records, latest first.
    private const string ListScript = LiveScan + """

        return live_members(KEYS[1], KEYS[2], ARGV[1], false, tonumber(ARGV[2]), tonumber(ARGV[3]))
        """;

    // KEYS: time, exp, expiry, deleted. ARGV: now, now + 1 tick, chunk.
    // { live, deleted, expired, newest live time member or '', oldest live time member or '' }.
    private const string SummaryScript = LiveScan + """

        local expired = redis.call('ZLEXCOUNT', KEYS[2], '-', '(' .. ARGV[2])
        local live = redis.call('ZCARD', KEYS[1]) - expired
        local newest, oldest = '', ''
        if live > 0 then
          newest = live_members(KEYS[1], KEYS[3], ARGV[1], false, 1, tonumber(ARGV[3]))[1] or ''
          oldest = live_members(KEYS[1], KEYS[3], ARGV[1], true, 1, tonumber(ARGV[3]))[1] or ''
        end
        return { live, redis.call('SCARD', KEYS[4]), expired, newest, oldest }
        """;

    private readonly IDatabase _db = redis.GetDatabase();

    public Task<OnlineRecord?> FindAsync(string groupKey, string recordId, CancellationToken ct = default) => Guarded(async () =>
    {
        var keys = new GroupKeys(prefix, groupKey);
        return Read(groupKey, recordId, await _db.HashGetAllAsync(keys.Record(recordId)).ConfigureAwait(false));
    });

    /// <summary>One round trip: the reads are sent together as a batch.</summary>
    public Task<IReadOnlyList<OnlineRecord>> FindManyAsync(string groupKey, IReadOnlyList<string> recordIds, CancellationToken ct = default) => Guarded<IReadOnlyList<OnlineRecord>>(async () =>
    {
        var keys = new GroupKeys(prefix, groupKey);
        var ids = recordIds.Distinct(StringComparer.Ordinal).ToList();
        var batch = _db.CreateBatch();
        var reads = ids.Select(id => batch.HashGetAllAsync(keys.Record(id))).ToList();
        batch.Execute();
        var entries = await Task.WhenAll(reads).ConfigureAwait(false);
        return ids.Zip(entries, (id, fields) => Read(groupKey, id, fields)).OfType<OnlineRecord>().ToList();
    });

    public Task<bool> PutIfNotOlderAsync(OnlineRecord record, DateTimeOffset now, CancellationToken ct = default) => Guarded(async () =>
    {
        var keys = new GroupKeys(prefix, record.GroupKey);
        var result = await _db.ScriptEvaluateAsync(PutScript, keys.ForRecord(record.RecordId),
        [
            record.RecordId,
                Ticks(record.EventTime),
                Ticks(now),
                record.Deleted ? "1" : "0",
                record.ExpiresAt is { } expires ? Ticks(expires) : "",
                JsonSerializer.Serialize(record.Values.Select(pair => new[] { pair.Key, pair.Value })),
                TimeMember(record.EventTime, record.RecordId),
            ]).ConfigureAwait(false);
        return (long)result == 1;
    });

    public Task<bool> RemoveIfNotOlderAsync(string groupKey, string recordId, DateTimeOffset eventTime, DateTimeOffset now, CancellationToken ct = default) => Guarded(async () =>
    {
        var keys = new GroupKeys(prefix, groupKey);
        var result = await _db.ScriptEvaluateAsync(RemoveScript, keys.ForRecord(recordId), [recordId, Ticks(eventTime), Ticks(now)]).ConfigureAwait(false);
        return (long)result == 1;
    });

    public Task<OnlineStoreSummary> SummarizeAsync(string groupKey, DateTimeOffset now, CancellationToken ct = default) => Guarded(async () =>
    {
        var keys = new GroupKeys(prefix, groupKey);
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(SummaryScript, [keys.Time, keys.Expiring, keys.Expiry, keys.Deleted],
            [Ticks(now), Ticks(now.AddTicks(1)), Chunk]).ConfigureAwait(false))!;
        var newest = (string?)result[3];
        var oldest = (string?)result[4];
        return new OnlineStoreSummary((long)result[0], (long)result[1], (long)result[2],
            string.IsNullOrEmpty(oldest) ? null : EventTimeOf(oldest), string.IsNullOrEmpty(newest) ? null : EventTimeOf(newest));
    });

    /// <summary>The index picks the records (one script), then they are read in one batch; one changed in between is left out if no longer live.</summary>
    public Task<IReadOnlyList<OnlineRecord>> ListLatestAsync(string groupKey, DateTimeOffset now, int limit, CancellationToken ct = default) => Guarded<IReadOnlyList<OnlineRecord>>(async () =>
    {
        if (limit <= 0)
        {
            return [];
        }

        var keys = new GroupKeys(prefix, groupKey);
        var members = (string[])(await _db.ScriptEvaluateAsync(ListScript, [keys.Time, keys.Expiry], [Ticks(now), limit, Chunk]).ConfigureAwait(false))!;
        var records = await FindManyAsync(groupKey, members.Select(RecordIdOf).ToList(), ct).ConfigureAwait(false);
        return records.Where(record => record.IsLive(now)).ToList();
    });

    /// <summary>
    /// Removes the group's records a chunk at a time, each chunk with its index entries in one transaction, so a group of
    /// millions of records never blocks Redis in one long command; the index keys go last.
    /// </summary>
    public Task RemoveGroupAsync(string groupKey, CancellationToken ct = default) => Guarded(async () =>
    {
        var keys = new GroupKeys(prefix, groupKey);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var timeMembers = await _db.SortedSetRangeByRankAsync(keys.Time, 0, Chunk - 1).ConfigureAwait(false);
            var markers = await _db.SetRandomMembersAsync(keys.Deleted, Chunk).ConfigureAwait(false);
            if (timeMembers.Length == 0 && markers.Length == 0)
            {
                break;
            }

            var live = timeMembers.Select(member => (RedisValue)RecordIdOf(member!)).ToArray();
            var expiries = await _db.HashGetAsync(keys.Expiry, live).ConfigureAwait(false);
            var expiring = live.Zip(expiries, (id, expires) => (id, expires)).Where(pair => pair.expires.HasValue)
                .Select(pair => (RedisValue)(pair.expires + ":" + pair.id)).ToArray();
            var transaction = _db.CreateTransaction();
            _ = transaction.KeyDeleteAsync(live.Concat(markers).Select(id => (RedisKey)keys.Record(id!)).ToArray());
            if (live.Length > 0)
            {
                _ = transaction.SortedSetRemoveAsync(keys.Time, timeMembers);
                _ = transaction.HashDeleteAsync(keys.Expiry, live);
            }

            if (expiring.Length > 0)
            {
                _ = transaction.SortedSetRemoveAsync(keys.Expiring, expiring);
            }

            if (markers.Length > 0)
            {
                _ = transaction.SetRemoveAsync(keys.Deleted, markers);
            }

            await transaction.ExecuteAsync().ConfigureAwait(false);
        }

        await _db.KeyDeleteAsync([keys.Time, keys.Expiring, keys.Expiry, keys.Deleted]).ConfigureAwait(false);
    });

    /// <summary>Redis unreachable or not answering in time: the APIs' retryable error, as for the metadata store.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            throw new KilnException(ErrorCode.ServiceUnavailable, $"The online store (Redis) is unavailable; retry shortly. ({e.Message})");
        }
    }

    private static Task Guarded(Func<Task> call) => Guarded(async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    });

    private static OnlineRecord? Read(string groupKey, string recordId, HashEntry[] fields)
    {
        if (fields.Length == 0)
        {
            return null;
        }

        var byName = fields.ToDictionary(field => (string)field.Name!, field => (string)field.Value!, StringComparer.Ordinal);
        return new OnlineRecord
        {
            GroupKey = groupKey,
            RecordId = recordId,
            EventTime = FromTicks(byName["t"]),
            Deleted = byName["d"] == "1",
            ExpiresAt = byName.TryGetValue("e", out var expires) ? FromTicks(expires) : null,
            Values = JsonSerializer.Deserialize<string[][]>(byName["v"])!.Select(pair => KeyValuePair.Create(pair[0], pair[1])).ToList(),
        };
    }

    private static string Ticks(DateTimeOffset time) => time.UtcTicks.ToString("D" + TicksWidth, CultureInfo.InvariantCulture);

    private static DateTimeOffset FromTicks(string ticks) => new(long.Parse(ticks, CultureInfo.InvariantCulture), TimeSpan.Zero);

    /// <summary>The time index's member: the event time subtracted from long.MaxValue (so later sorts first), then the identifier.</summary>
    private static string TimeMember(DateTimeOffset eventTime, string recordId) =>
        (long.MaxValue - eventTime.UtcTicks).ToString("D" + TicksWidth, CultureInfo.InvariantCulture) + ":" + recordId;

    private static DateTimeOffset EventTimeOf(string timeMember) =>
        new(long.MaxValue - long.Parse(timeMember.AsSpan(0, TicksWidth), CultureInfo.InvariantCulture), TimeSpan.Zero);

    private static string RecordIdOf(string timeMember) => timeMember[(TicksWidth + 1)..];

    /// <summary>
    /// A group's key names. The group key is percent-encoded inside the hash tag, so braces or colons in it can neither
    /// end the tag early nor make two groups' keys collide.
    /// </summary>
    private readonly struct GroupKeys(string prefix, string groupKey)
    {
        private readonly string _group = prefix + "{" + Uri.EscapeDataString(groupKey) + "}:";

        public RedisKey Time => _group + "time";

        public RedisKey Expiring => _group + "exp";

        public RedisKey Expiry => _group + "expiry";

        public RedisKey Deleted => _group + "deleted";

        public string Record(string recordId) => _group + "r:" + recordId;

        public RedisKey[] ForRecord(string recordId) => [Record(recordId), Time, Expiring, Expiry, Deleted];
    }
}
