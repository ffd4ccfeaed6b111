using Kiln.Core.Security.Audit;
using Kiln.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Security;

public sealed class SqliteAuditStore(SqliteDatabase db) : IAuditStore
{
    private const string Columns = AuditRows.Columns;

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default) =>
        records.Count == 0 ? Task.CompletedTask : db.WriteAsync(session =>
        {
            // SQLite has one writer at a time, so the last entry read here is still the last when the new ones go in.
            var (sequence, previous) = session.QuerySingle(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1",
                reader => new Tail(reader.GetInt64(0), reader.GetString(1))) ?? new Tail(0, AuditChain.Genesis);
            foreach (var record in records)
            {
                var entry = AuditChain.Seal(++sequence, previous, record);
                session.Execute(
                    $"INSERT INTO audit_log ({Columns}) VALUES ($seq, $time, $user, $key, $action, $resource, $ip, $status, $code, $previous, $hash)",
                    ("$seq", entry.Sequence), ("$time", record.Time.ToUnixTimeMilliseconds()), ("$user", record.User), ("$key", record.AccessKeyId),
                    ("$action", record.Action), ("$resource", record.Resource), ("$ip", record.RemoteIp), ("$status", record.Status),
                    ("$code", record.ErrorCode), ("$previous", entry.PreviousHash), ("$hash", entry.Hash));
                previous = entry.Hash;
            }
        }, ct);

    public Task<AuditPage> ListAsync(AuditQuery query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var entries = db.Read(session => session.Query(
            $"""
            SELECT {Columns} FROM audit_log
            WHERE sequence > $after AND ($user IS NULL OR user_name = $user) AND ($since IS NULL OR time >= $since)
            ORDER BY sequence LIMIT $limit
            """,
            AuditRows.Read,
            ("$after", query.After), ("$user", query.User), ("$since", query.Since?.ToUnixTimeMilliseconds()), ("$limit", limit + 1)));
        return Task.FromResult(entries.Count > limit
            ? new AuditPage(entries[..limit], entries[limit - 1].Sequence)
            : new AuditPage(entries, null));
    }

    private sealed record Tail(long Sequence, string Hash);
}
