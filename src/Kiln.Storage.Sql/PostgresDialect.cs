namespace Kiln.Storage.Sql;

/// <summary>PostgreSQL (Npgsql): <c>@name</c> parameters, real booleans, arrays, jsonb documents.</summary>
public sealed class PostgresDialect : ISqlDialect
{
    public static readonly PostgresDialect Instance = new();

    private PostgresDialect()
    {
    }

    public string ParameterName(string name) => name;

    public string Placeholder(string name) => "@" + name;

    public string IsTrue(string column) => column;

    public string IsFalse(string column) => $"NOT {column}";

    public object ListValue<T>(IReadOnlyCollection<T> values) => values.ToArray();

    public string InList(string column, string placeholder, bool negate = false) =>
        $"{(negate ? "NOT " : "")}({column} = ANY({placeholder}))";

    public string Like(string column, string placeholder) => $"{column} LIKE {placeholder}";

    public string LikePattern(string pattern) => pattern;

    public string ILike(string column, string placeholder) => $"{column} ILIKE {placeholder}";

    public string ContainsIgnoreCase(string column, string placeholder) => $"strpos(lower({column}), lower({placeholder})) > 0";

    public string NumberAsText(string column) => $"({column})::text COLLATE \"C\"";

    public string JsonText(string documentColumn, IReadOnlyList<string> path) =>
        $"({documentColumn} #>> '{{{string.Join(',', path.Select(Quote))}}}')";

    public string DocumentText(string documentColumn) => documentColumn + "::text";

    // Path keys are code constants (document field names), never user input.
    private static string Quote(string key) => key.All(char.IsAsciiLetterOrDigit) ? key : "\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
