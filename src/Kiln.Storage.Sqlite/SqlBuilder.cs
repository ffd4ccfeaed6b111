using System.Globalization;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Storage.Sqlite;

/// <summary>Turns parsed search clauses into parameterized SQLite conditions. Values never enter SQL text.</summary>
internal sealed class SqlBuilder
{
    private readonly List<(string Name, object? Value)> _parameters = [];

    public IEnumerable<(string Name, object? Value)> Parameters => _parameters;

    public string Add(object? value)
    {
        var name = "$p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return name;
    }

    public void Add(string name, object? value) => _parameters.Add((name, value));

    /// <summary>Adds <c>$limit</c> and <c>$offset</c> for one page (a row more than asked, to tell whether another follows); returns the offset.</summary>
    public long AddPage(string? pageToken, int maxResults)
    {
        var offset = PageToken.Decode(pageToken);
        Add("$limit", (long)maxResults + 1);
        Add("$offset", offset);
        return offset;
    }

    /// <summary>A comparison of a column with the clause's value.</summary>
    public string Compare(string column, FilterClause clause)
    {
        switch (clause.Value)
        {
            case FilterValue.Number number:
                return $"{column} {Operator(clause.Comparator)} {Add(number.Value)}";
            case FilterValue.List list:
                var json = System.Text.Json.JsonSerializer.Serialize(list.Values);
                return $"{column} {(clause.Comparator == Comparator.NotIn ? "NOT IN" : "IN")} (SELECT value FROM json_each({Add(json)}))";
            case FilterValue.Text text:
                return clause.Comparator switch
                {
                    // MLflow's LIKE is case-sensitive; SQLite's is not, so LIKE becomes GLOB.
                    Comparator.Like => $"{column} GLOB {Add(LikeToGlob(text.Value))}",
                    Comparator.ILike => $"lower({column}) LIKE lower({Add(text.Value)})",
                    _ => $"{column} {Operator(clause.Comparator)} {Add(text.Value)}",
                };
            default:
                throw new InvalidOperationException($"No SQL for {clause}");
        }
    }

    /// <summary>
    /// A condition on a key/value child table (params, tags, …): true when the row has the key and its
    /// value satisfies the comparison. IS NULL / IS NOT NULL test whether the key is present.
    /// </summary>
    public string KeyValueCondition(string table, string foreignKey, string outerKey, string keyColumn, FilterClause clause, string valueColumn = "value")
    {
        var key = Add(clause.Key);
        return clause.Comparator switch
        {
            Comparator.IsNull => $"NOT EXISTS (SELECT 1 FROM {table} kv WHERE kv.{foreignKey} = {outerKey} AND kv.{keyColumn} = {key})",
            Comparator.IsNotNull => $"EXISTS (SELECT 1 FROM {table} kv WHERE kv.{foreignKey} = {outerKey} AND kv.{keyColumn} = {key})",
            _ => $"EXISTS (SELECT 1 FROM {table} kv WHERE kv.{foreignKey} = {outerKey} AND kv.{keyColumn} = {key} AND {Compare("kv." + valueColumn, clause)})",
        };
    }

    public static string Operator(Comparator comparator) => comparator switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "!=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        _ => throw new InvalidOperationException($"{comparator} is not a plain operator"),
    };

    /// <summary>SQL LIKE pattern → GLOB pattern: % → *, _ → ?, and GLOB's own wildcards made literal.</summary>
    internal static string LikeToGlob(string pattern)
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
}
