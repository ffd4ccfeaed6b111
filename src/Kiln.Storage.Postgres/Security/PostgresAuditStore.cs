using Kiln.Core.Security.Audit;
using Kiln.Storage.Sql;
using Npgsql;

namespace Kiln.Storage.Postgres.Security;

public sealed class PostgresAuditStore(PostgresDatabase db) : IAuditStore
{
    private const string Columns = AuditRows.Columns;

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default) =>
        records.Count == 0 ? Task.CompletedTask : db.WriteAsync(async session =>
        {
            // Nodes sharing the database append one at a time (the lock lasts until commit), so there is one chain.
            await session.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext('kiln.audit_log'))").ConfigureAwait(false);
            var tail = await session.QuerySingleAsync(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1",
                reader => new Tail(reader.GetInt64(0), reader.GetString(1))).ConfigureAwait(false) ?? new Tail(0, AuditChain.Genesis);
            var (sequence, previous) = tail;
            foreach (var record in records)
            {
                var entry = AuditChain.Seal(++sequence, previous, record);
                await session.ExecuteAsync(
                    $"INSERT INTO audit_log ({Columns}) VALUES (@seq, @time, @user, @key, @action, @resource, @ip, @status, @code, @previous, @hash)",
                    ("seq", entry.Sequence), ("time", record.Time.ToUnixTimeMilliseconds()), ("user", record.User), ("key", record.AccessKeyId),
                    ("action", record.Action), ("resource", record.Resource), ("ip", record.RemoteIp), ("status", record.Status),
                    ("code", record.ErrorCode), ("previous", entry.PreviousHash), ("hash", entry.Hash)).ConfigureAwait(false);
                previous = entry.Hash;
            }
        }, ct);

    public async Task<AuditPage> ListAsync(AuditQuery query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var entries = await db.ReadAsync(session => session.QueryAsync(
            $"""
            SELECT {Columns} FROM audit_log
            WHERE sequence > @after AND (@user::text IS NULL OR user_name = @user) AND (@since::bigint IS NULL OR time >= @since::bigint)
            ORDER BY sequence LIMIT @limit
            """,
            AuditRows.Read,
            ("after", query.After), ("user", query.User), ("since", query.Since?.ToUnixTimeMilliseconds()), ("limit", limit + 1)), ct).ConfigureAwait(false);
        return entries.Count > limit
            ? new AuditPage(entries[..limit], entries[limit - 1].Sequence)
            : new AuditPage(entries, null);
    }

    private sealed record Tail(long Sequence, string Hash);
}
