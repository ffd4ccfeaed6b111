using Kiln.Core.Common;
using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>
/// SageMaker's List* calls in SQL, for any table with <c>name</c>, <c>status</c>, <c>creation_time</c> and a
/// modification-time column: name-contains (case-insensitive), status, time bounds, sort with the name as
/// tie-breaker, and offset paging tokens (the same tokens the SQLite store hands out).
/// </summary>
internal static class PostgresListing
{
    public static async Task<Page<T>> ReadAsync<T>(PostgresDatabase db, ListQuery query, string table, string documentColumn, string modifiedColumn, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        var where = new List<string> { "TRUE" };
        var parameters = new List<(string, object?)>();
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            where.Add("strpos(lower(name), lower(@contains)) > 0");
            parameters.Add(("contains", query.NameContains));
        }

        if (query.Status is { } status)
        {
            where.Add("status = @status");
            parameters.Add(("status", status));
        }

        Bound("creation_time", ">", "createdAfter", query.CreatedAfter);
        Bound("creation_time", "<", "createdBefore", query.CreatedBefore);
        Bound(modifiedColumn, ">", "modifiedAfter", query.ModifiedAfter);
        Bound(modifiedColumn, "<", "modifiedBefore", query.ModifiedBefore);

        var column = query.SortBy switch
        {
            ListSort.Name => "name",
            ListSort.Status => "status",
            _ => "creation_time",
        };
        var direction = query.Ascending ? "ASC" : "DESC";
        var offset = PageToken.Decode(query.PageToken);
        parameters.Add(("limit", (long)query.MaxResults + 1));
        parameters.Add(("offset", offset));
        var rows = await db.ReadAsync(session => session.QueryAsync(
            $"SELECT {documentColumn}::text FROM {table} WHERE {string.Join(" AND ", where)} ORDER BY {column} {direction}, name {direction} LIMIT @limit OFFSET @offset",
            read,
            parameters.ToArray()), ct).ConfigureAwait(false);
        return Paged(rows, query.MaxResults, offset);

        void Bound(string boundColumn, string comparison, string name, DateTimeOffset? bound)
        {
            if (bound is { } value)
            {
                where.Add($"{boundColumn} {comparison} @{name}");
                parameters.Add((name, value.ToUnixTimeMilliseconds()));
            }
        }
    }

    /// <summary>Queries fetch one row more than a page; its presence means there is a next page.</summary>
    internal static Page<T> Paged<T>(List<T> rows, int pageSize, long offset)
    {
        if (rows.Count <= pageSize)
        {
            return new Page<T>(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        return new Page<T>(rows, PageToken.Encode(offset + pageSize));
    }
}
