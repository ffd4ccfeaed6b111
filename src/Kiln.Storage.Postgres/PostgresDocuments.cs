using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;

namespace Kiln.Storage.Postgres;

/// <summary>
/// A table of JSON documents (<c>json</c>) keyed by name, with a status, a creation and a modification time beside each
/// for listings: the shape SageMaker's control-plane resources have (the PostgreSQL twin of the SQLite documents table).
/// </summary>
internal sealed class PostgresDocuments<T>(PostgresDatabase db, string table, Func<T, string> name, Func<T, string> status, Func<T, DateTimeOffset> created, Func<T, DateTimeOffset>? modified = null)
    where T : class
{
    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public Task<bool> AddAsync(T document, CancellationToken ct) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            $"INSERT INTO {table} (name, status, creation_time, last_modified, document) VALUES (@name, @status, @created, @modified, @document::json) ON CONFLICT DO NOTHING",
            ("name", name(document)), ("status", status(document)), ("created", created(document).ToUnixTimeMilliseconds()), ("modified", Modified(document)),
            ("document", JsonSerializer.Serialize(document, Json))).ConfigureAwait(false) == 1, ct);

    public Task<T?> FindAsync(string key, CancellationToken ct) => db.ReadAsync(session => Load(session, key, forUpdate: false), ct);

    public Task<T?> UpdateAsync(string key, Func<T, T?> change, CancellationToken ct) =>
        db.WriteAsync(async session =>
        {
            if (await Load(session, key, forUpdate: true).ConfigureAwait(false) is not { } current || change(current) is not { } changed)
            {
                return null;
            }

            await session.ExecuteAsync(
                $"UPDATE {table} SET status = @status, last_modified = @modified, document = @document::json WHERE name = @name",
                ("status", status(changed)), ("modified", Modified(changed)), ("document", JsonSerializer.Serialize(changed, Json)), ("name", key)).ConfigureAwait(false);
            return changed;
        }, ct);

    public Task<bool> DeleteAsync(string key, CancellationToken ct) =>
        db.WriteAsync(async session => await session.ExecuteAsync($"DELETE FROM {table} WHERE name = @name", ("name", key)).ConfigureAwait(false) == 1, ct);

    public Task<Page<T>> ListAsync(ListQuery query, CancellationToken ct) =>
        PostgresListing.ReadAsync(db, query, table, "document", "last_modified", reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!, ct);

    /// <summary>The documents whose top-level member <paramref name="member"/> (e.g. <c>PipelineName</c>) equals <paramref name="value"/>, newest first.</summary>
    public async Task<IReadOnlyList<T>> WhereAsync(string member, string value, CancellationToken ct) =>
        await db.ReadAsync(session => session.QueryAsync(
            $"SELECT document::text FROM {table} WHERE document ->> @member = @value ORDER BY creation_time DESC, name DESC",
            reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!,
            ("member", member), ("value", value)), ct).ConfigureAwait(false);

    /// <summary>The documents whose status is none of <paramref name="statuses"/>, oldest first.</summary>
    public async Task<IReadOnlyList<T>> StatusNotInAsync(IEnumerable<string> statuses, CancellationToken ct) =>
        await db.ReadAsync(session => session.QueryAsync(
            $"SELECT document::text FROM {table} WHERE NOT (status = ANY(@statuses)) ORDER BY creation_time ASC, name ASC",
            reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!,
            ("statuses", statuses.ToArray())), ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<T>> AllAsync(CancellationToken ct) =>
        await db.ReadAsync(session => session.QueryAsync($"SELECT document::text FROM {table}", reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!), ct).ConfigureAwait(false);

    private long Modified(T document) => (modified ?? created)(document).ToUnixTimeMilliseconds();

    private async Task<T?> Load(PostgresSession session, string key, bool forUpdate) =>
        await session.ScalarAsync($"SELECT document::text FROM {table} WHERE name = @name{(forUpdate ? " FOR UPDATE" : "")}", ("name", key)).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<T>(json, Json)
            : null;
}
