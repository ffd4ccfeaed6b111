using Kiln.Core.Common;

namespace Kiln.Storage.Sql;

public static class SqlPaging
{
    /// <summary>Queries fetch one row more than a page; its presence means there is a next page.</summary>
    public static Page<T> Paged<T>(List<T> rows, int pageSize, long offset)
    {
        if (rows.Count <= pageSize)
        {
            return new Page<T>(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        return new Page<T>(rows, PageToken.Encode(offset + pageSize));
    }
}
