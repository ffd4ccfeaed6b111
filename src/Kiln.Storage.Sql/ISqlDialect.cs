namespace Kiln.Storage.Sql;

/// <summary>
/// Where SQLite and PostgreSQL SQL differ, and nothing else. Query shapes live once in <see cref="SqlBuilder"/>,
/// <see cref="SqlListing"/> and <see cref="MlflowRunSql"/>; each store executes the text with its own driver.
/// </summary>
public interface ISqlDialect
{
    /// <summary>The name a parameter is bound under in the driver's parameter list (<c>$p0</c> for SQLite, <c>p0</c> for Npgsql).</summary>
    string ParameterName(string name);

    /// <summary>How SQL text refers to a parameter (<c>$p0</c>, <c>@p0</c>).</summary>
    string Placeholder(string name);

    /// <summary>A condition that a boolean column is true (SQLite stores booleans as 0/1).</summary>
    string IsTrue(string column);

    /// <summary>A condition that a boolean column is false.</summary>
    string IsFalse(string column);

    /// <summary>The value bound for a list parameter used by <see cref="InList"/> (a JSON array for SQLite, an array for PostgreSQL).</summary>
    object ListValue<T>(IReadOnlyCollection<T> values);

    /// <summary><c>column IN list</c> (or NOT IN) against a parameter bound to <see cref="ListValue"/>.</summary>
    string InList(string column, string placeholder, bool negate = false);

    /// <summary>Case-sensitive LIKE, as MLflow's is (SQLite's LIKE is not, so it becomes GLOB).</summary>
    string Like(string column, string placeholder);

    /// <summary>The value bound for <see cref="Like"/>'s pattern.</summary>
    string LikePattern(string pattern);

    /// <summary>Case-insensitive LIKE.</summary>
    string ILike(string column, string placeholder);

    /// <summary>True when the column contains the parameter's text, ignoring case (SageMaker's NameContains).</summary>
    string ContainsIgnoreCase(string column, string placeholder);

    /// <summary>
    /// A number column as compared with a text value (<c>experiment_id = '1'</c>): SQLite's column affinity already
    /// converts, PostgreSQL compares the column's text in byte order.
    /// </summary>
    string NumberAsText(string column);

    /// <summary>The text of a JSON value at a path of object keys in a JSON document column, or NULL when absent.</summary>
    string JsonText(string documentColumn, IReadOnlyList<string> path);

    /// <summary>A document column selected as text (PostgreSQL's jsonb columns are cast).</summary>
    string DocumentText(string documentColumn);
}
