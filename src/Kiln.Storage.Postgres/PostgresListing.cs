using Kiln.Core.Common;
using Kiln.Storage.Sql;
using Npgsql;

namespace Kiln.Storage.Postgres;

/// <summary>SageMaker's List* calls: the shared <see cref="SqlListing"/> query, run on PostgreSQL.</summary>
internal static class PostgresListing
{
    public static async Task<Page<T>> ReadAsync<T>(PostgresDatabase db, ListQuery query, string table, string documentColumn, string modifiedColumn, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        var listing = SqlListing.Build(PostgresDialect.Instance, query, table, documentColumn, modifiedColumn);
        return listing.Page(await db.ReadAsync(session => session.QueryAsync(listing.Sql, read, listing.Parameters), ct).ConfigureAwait(false));
    }

    /// <summary>Queries fetch one row more than a page; its presence means there is a next page.</summary>
    internal static Page<T> Paged<T>(List<T> rows, int pageSize, long offset) => SqlPaging.Paged(rows, pageSize, offset);
}
