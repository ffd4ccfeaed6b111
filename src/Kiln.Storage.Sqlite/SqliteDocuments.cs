using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// A table of JSON documents keyed by name, with a status, a creation and a modification time beside each
/// for listings: the shape SageMaker's control-plane resources (models, endpoint configs, endpoints, transform jobs) have.
/// </summary>
internal sealed class SqliteDocuments<T>(SqliteDatabase db, string table, Func<T, string> name, Func<T, string> status, Func<T, DateTimeOffset> created, Func<T, DateTimeOffset>? modified = null)
    where T : class
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public Task<bool> AddAsync(T document, CancellationToken ct) =>
        db.WriteAsync(session => session.Execute(
            $"INSERT INTO {table} (name, status, creation_time, last_modified, document) VALUES ($name, $status, $created, $modified, $document) ON CONFLICT DO NOTHING",
            ("$name", name(document)), ("$status", status(document)), ("$created", created(document).ToUnixTimeMilliseconds()), ("$modified", Modified(document)),
            ("$document", JsonSerializer.Serialize(document, Json))) == 1, ct);

    public Task<T?> FindAsync(string key, CancellationToken ct) => Task.FromResult(db.Read(session => Load(session, key)));

    public Task<T?> UpdateAsync(string key, Func<T, T?> change, CancellationToken ct) =>
        db.WriteAsync(session =>
        {
            if (Load(session, key) is not { } current || change(current) is not { } changed)
            {
                return null;
            }

            session.Execute(
                $"UPDATE {table} SET status = $status, last_modified = $modified, document = $document WHERE name = $name",
                ("$status", status(changed)), ("$modified", Modified(changed)), ("$document", JsonSerializer.Serialize(changed, Json)), ("$name", key));
            return changed;
        }, ct);

    public Task<bool> DeleteAsync(string key, CancellationToken ct) =>
        db.WriteAsync(session => session.Execute($"DELETE FROM {table} WHERE name = $name", ("$name", key)) == 1, ct);

    public Task<Page<T>> ListAsync(ListQuery query, CancellationToken ct) =>
        Task.FromResult(SqliteListing.Read(db, query, table, "document", "last_modified", reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!));

    /// <summary>The documents whose member at <paramref name="jsonPath"/> (e.g. <c>$.PipelineName</c>) equals <paramref name="value"/>, newest first.</summary>
    public Task<IReadOnlyList<T>> WhereAsync(string jsonPath, string value, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<T>>(db.Read(session => session.Query(
            $"SELECT document FROM {table} WHERE json_extract(document, $path) = $value ORDER BY creation_time DESC, name DESC",
            reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!,
            ("$path", jsonPath), ("$value", value))));

    /// <summary>The documents whose status is none of <paramref name="statuses"/>, oldest first.</summary>
    public Task<IReadOnlyList<T>> StatusNotInAsync(IEnumerable<string> statuses, CancellationToken ct)
    {
        var parameters = statuses.Select((status, i) => ($"$s{i}", (object?)status)).ToArray();
        var list = parameters.Length == 0 ? "''" : string.Join(", ", parameters.Select(p => p.Item1));
        return Task.FromResult<IReadOnlyList<T>>(db.Read(session => session.Query(
            $"SELECT document FROM {table} WHERE status NOT IN ({list}) ORDER BY creation_time ASC, name ASC",
            reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!,
            parameters)));
    }

    public Task<IReadOnlyList<T>> AllAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<T>>(db.Read(session => session.Query($"SELECT document FROM {table}", reader => JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!)));

    private long Modified(T document) => (modified ?? created)(document).ToUnixTimeMilliseconds();

    private T? Load(SqliteSession session, string key) =>
        session.Scalar($"SELECT document FROM {table} WHERE name = $name", ("$name", key)) is string json ? JsonSerializer.Deserialize<T>(json, Json) : null;
}
