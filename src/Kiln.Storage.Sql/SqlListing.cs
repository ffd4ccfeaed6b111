using Kiln.Core.Common;

namespace Kiln.Storage.Sql;

/// <summary>
/// SageMaker's List* calls in SQL, for any table with <c>name</c>, <c>status</c>, <c>creation_time</c> and a
/// modification-time column: name-contains (case-insensitive, as SageMaker matches), status, time bounds, sort with
/// the name as tie-breaker, and offset paging tokens. The store runs <see cref="Sql"/> and pages with <see cref="Page{T}"/>.
/// </summary>
public sealed record SqlListing(string Sql, (string Name, object? Value)[] Parameters, long Offset, int MaxResults)
{
    public static SqlListing Build(ISqlDialect dialect, ListQuery query, string table, string documentColumn, string modifiedColumn)
    {
        var sql = new SqlBuilder(dialect);
        var where = new List<string> { "1 = 1" };
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            where.Add(dialect.ContainsIgnoreCase("name", sql.Named("contains", query.NameContains)));
        }

        if (query.Status is { } status)
        {
            where.Add($"status = {sql.Named("status", status)}");
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
        var offset = sql.AddPage(query.PageToken, query.MaxResults);
        var text = $"SELECT {dialect.DocumentText(documentColumn)} FROM {table} WHERE {string.Join(" AND ", where)} ORDER BY {column} {direction}, name {direction} {sql.LimitOffset}";
        return new SqlListing(text, sql.Parameters, offset, query.MaxResults);

        void Bound(string boundColumn, string comparison, string name, DateTimeOffset? bound)
        {
            if (bound is { } value)
            {
                where.Add($"{boundColumn} {comparison} {sql.Named(name, value.ToUnixTimeMilliseconds())}");
            }
        }
    }

    /// <summary>The page of the rows the query read.</summary>
    public Page<T> Page<T>(List<T> rows) => SqlPaging.Paged(rows, MaxResults, Offset);
}
