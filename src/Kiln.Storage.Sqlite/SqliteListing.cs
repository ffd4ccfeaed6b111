using Kiln.Core.Common;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// SageMaker's List* calls in SQL, for any table with <c>name</c>, <c>status</c>, <c>creation_time</c> and a
/// modification-time column: name-contains (case-insensitive, as SageMaker matches), status, time bounds, sort with
/// the name as tie-breaker, and offset paging tokens.
/// </summary>
internal static class SqliteListing
{
    public static Page<T> Read<T>(SqliteDatabase db, ListQuery query, string table, string documentColumn, string modifiedColumn, Func<SqliteDataReader, T> read)
    {
        var where = new List<string> { "1 = 1" };
        var parameters = new List<(string, object?)>();
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            where.Add("instr(lower(name), lower($contains)) > 0");
            parameters.Add(("$contains", query.NameContains));
        }

        if (query.Status is { } status)
        {
            where.Add("status = $status");
            parameters.Add(("$status", status));
        }

        Bound("creation_time", ">", "$createdAfter", query.CreatedAfter);
        Bound("creation_time", "<", "$createdBefore", query.CreatedBefore);
        Bound(modifiedColumn, ">", "$modifiedAfter", query.ModifiedAfter);
        Bound(modifiedColumn, "<", "$modifiedBefore", query.ModifiedBefore);

        var column = query.SortBy switch
        {
            ListSort.Name => "name",
            ListSort.Status => "status",
            _ => "creation_time",
        };
        var direction = query.Ascending ? "ASC" : "DESC";
        var offset = PageToken.Decode(query.PageToken);
        parameters.Add(("$limit", (long)query.MaxResults + 1));
        parameters.Add(("$offset", offset));
        var rows = db.Read(session => session.Query(
            $"SELECT {documentColumn} FROM {table} WHERE {string.Join(" AND ", where)} ORDER BY {column} {direction}, name {direction} LIMIT $limit OFFSET $offset",
            read,
            parameters.ToArray()));
        return Tracking.SqliteTrackingStore.Paged(rows, query.MaxResults, offset);

        void Bound(string boundColumn, string comparison, string name, DateTimeOffset? bound)
        {
            if (bound is { } value)
            {
                where.Add($"{boundColumn} {comparison} {name}");
                parameters.Add((name, value.ToUnixTimeMilliseconds()));
            }
        }
    }
}
