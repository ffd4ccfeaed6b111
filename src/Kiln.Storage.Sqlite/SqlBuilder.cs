using Kiln.Storage.Sql;

namespace Kiln.Storage.Sqlite;

/// <summary>The shared <see cref="Sql.SqlBuilder"/> in SQLite's dialect (<c>$p0</c> parameters, GLOB for LIKE, json_each lists).</summary>
internal sealed class SqlBuilder() : Sql.SqlBuilder(SqliteDialect.Instance)
{
    /// <summary>SQL LIKE pattern → GLOB pattern; see <see cref="SqliteDialect.LikeToGlob"/>.</summary>
    internal static string LikeToGlob(string pattern) => SqliteDialect.LikeToGlob(pattern);
}
