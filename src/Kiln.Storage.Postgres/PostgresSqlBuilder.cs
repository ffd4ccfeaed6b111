using System.Globalization;
using Kiln.Core.Search;

namespace Kiln.Storage.Postgres;

/// <summary>Turns parsed MLflow search clauses into parameterized PostgreSQL conditions. Values never enter SQL text.</summary>
internal sealed class PostgresSqlBuilder
{
    private readonly List<(string Name, object? Value)> _parameters = [];

    public (string Name, object? Value)[] Parameters => [.. _parameters];

    /// <summary>Adds a parameter; returns its placeholder (<c>@p0</c>, …).</summary>
    public string Add(object? value)
    {
        var name = "p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return "@" + name;
    }

    public void Add(string name, object? value) => _parameters.Add((name, value));

    /// <summary>A comparison of a column with the clause's value. PostgreSQL's LIKE is case-sensitive, as MLflow's is.</summary>
    public string Compare(string column, FilterClause clause) => clause.Value switch
    {
        FilterValue.Number number => $"{column} {Operator(clause.Comparator)} {Add(number.Value)}",
        FilterValue.List list => $"{(clause.Comparator == Comparator.NotIn ? "NOT " : "")}({column} = ANY({Add(list.Values.ToArray())}))",
        FilterValue.Text text => clause.Comparator switch
        {
            Comparator.Like => $"{column} LIKE {Add(text.Value)}",
            Comparator.ILike => $"{column} ILIKE {Add(text.Value)}",
            _ => $"{column} {Operator(clause.Comparator)} {Add(text.Value)}",
        },
        _ => throw new InvalidOperationException($"No SQL for {clause}"),
    };

    /// <summary>
    /// A condition on a key/value child table (params, tags, …): true when the row has the key and its value satisfies
    /// the comparison. IS NULL / IS NOT NULL test whether the key is present.
    /// </summary>
    public string KeyValueCondition(string table, string foreignKey, string outerKey, string keyColumn, FilterClause clause, string valueColumn = "value")
    {
        var key = Add(clause.Key);
        var exists = $"EXISTS (SELECT 1 FROM {table} kv WHERE kv.{foreignKey} = {outerKey} AND kv.{keyColumn} = {key}";
        return clause.Comparator switch
        {
            Comparator.IsNull => $"NOT {exists})",
            Comparator.IsNotNull => $"{exists})",
            _ => $"{exists} AND {Compare("kv." + valueColumn, clause)})",
        };
    }

    public static string Operator(Comparator comparator) => comparator switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "<>",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        _ => throw new InvalidOperationException($"{comparator} is not a plain operator"),
    };
}
