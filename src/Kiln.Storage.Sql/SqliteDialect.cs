using System.Text;
using System.Text.Json;

namespace Kiln.Storage.Sql;

/// <summary>SQLite (Microsoft.Data.Sqlite): <c>$name</c> parameters, 0/1 booleans, JSON via json_each/json_extract.</summary>
public sealed class SqliteDialect : ISqlDialect
{
    public static readonly SqliteDialect Instance = new();

    private SqliteDialect()
    {
    }

    public string ParameterName(string name) => "$" + name;

    public string Placeholder(string name) => "$" + name;

    public string IsTrue(string column) => $"{column} = 1";

    public string IsFalse(string column) => $"{column} = 0";

    public object ListValue<T>(IReadOnlyCollection<T> values) => JsonSerializer.Serialize(values);

    public string InList(string column, string placeholder, bool negate = false) =>
        $"{column} {(negate ? "NOT IN" : "IN")} (SELECT value FROM json_each({placeholder}))";

    public string Like(string column, string placeholder) => $"{column} GLOB {placeholder}";

    public string LikePattern(string pattern) => LikeToGlob(pattern);

    public string ILike(string column, string placeholder) => $"lower({column}) LIKE lower({placeholder})";

    public string ContainsIgnoreCase(string column, string placeholder) => $"instr(lower({column}), lower({placeholder})) > 0";

    public string NumberAsText(string column) => column;

    public string JsonText(string documentColumn, IReadOnlyList<string> path) =>
        $"json_extract({documentColumn}, '$.{string.Join('.', path.Select(Quote))}')";

    public string DocumentText(string documentColumn) => documentColumn;

    /// <summary>SQL LIKE pattern → GLOB pattern: % → *, _ → ?, and GLOB's own wildcards made literal.</summary>
    public static string LikeToGlob(string pattern)
    {
        var builder = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern)
        {
            builder.Append(c switch
            {
                '%' => "*",
                '_' => "?",
                '*' => "[*]",
                '?' => "[?]",
                '[' => "[[]",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    // Path keys are code constants (document field names), never user input; quoting keeps odd names valid JSON paths.
    private static string Quote(string key) => key.All(char.IsAsciiLetterOrDigit) ? key : "\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
