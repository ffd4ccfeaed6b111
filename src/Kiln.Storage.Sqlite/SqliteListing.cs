using Kiln.Core.Common;
using Kiln.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>SageMaker's List* calls: the shared <see cref="SqlListing"/> query, run on SQLite.</summary>
internal static class SqliteListing
{
    public static Page<T> Read<T>(SqliteDatabase db, ListQuery query, string table, string documentColumn, string modifiedColumn, Func<SqliteDataReader, T> read)
    {
        var listing = SqlListing.Build(SqliteDialect.Instance, query, table, documentColumn, modifiedColumn);
        return listing.Page(db.Read(session => session.Query(listing.Sql, read, listing.Parameters)));
    }
}
