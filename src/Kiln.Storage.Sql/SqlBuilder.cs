using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Storage.Sql;

/// <summary>
/// Turns parsed search clauses into parameterized conditions in one SQL dialect, collecting the parameters as it goes.
/// Values never enter SQL text. The stores bind <see cref="Parameters"/> with their own driver.
/// </summary>
public class SqlBuilder(ISqlDialect dialect)
{
    private readonly List<(string Name, object? Value)> _parameters = [];

    public ISqlDialect Dialect { get; } = dialect;

    /// <summary>The parameters so far, named as the dialect's driver binds them.</summary>
    public (string Name, object? Value)[] Parameters => [.. _parameters];

    /// <summary>Adds a positional parameter; returns its placeholder (<c>$p0</c>, <c>@p0</c>, …).</summary>
    public string Add(object? value) => Named("p" + _parameters.Count.ToString(CultureInfo.InvariantCulture), value);

    /// <summary>Adds a parameter under a name already in the driver's form (<c>$limit</c> for SQLite, <c>limit</c> for Npgsql).</summary>
    public void Add(string name, object? value) => _parameters.Add((name, value));

    /// <summary>Adds a parameter under a bare name (<c>limit</c>); returns its placeholder in this dialect.</summary>
    public string Named(string name, object? value)
    {
        _parameters.Add((Dialect.ParameterName(name), value));
        return Dialect.Placeholder(name);
    }

    /// <summary>Adds <c>limit</c> and <c>offset</c> for one page (a row more than asked, to tell whether another follows); returns the offset.</summary>
    public long AddPage(string? pageToken, int maxResults)
    {
        var offset = PageToken.Decode(pageToken);
        Named("limit", (long)maxResults + 1);
        Named("offset", offset);
        return offset;
    }

    /// <summary>The <c>LIMIT … OFFSET …</c> clause for the parameters <see cref="AddPage"/> added.</summary>
    public string LimitOffset => $"LIMIT {Dialect.Placeholder("limit")} OFFSET {Dialect.Placeholder("offset")}";

    /// <summary><c>column IN values</c> (or NOT IN), the values bound as one parameter.</summary>
    public string InList<T>(string column, IReadOnlyCollection<T> values, bool negate = false) =>
        Dialect.InList(column, Add(Dialect.ListValue(values)), negate);

    /// <summary>A comparison of a column with the clause's value. LIKE is case-sensitive, as MLflow's is.</summary>
    public string Compare(string column, FilterClause clause) => clause.Value switch
    {
        FilterValue.Number number => $"{column} {Operator(clause.Comparator)} {Add(number.Value)}",
        FilterValue.List list => InList(column, list.Values, clause.Comparator == Comparator.NotIn),
        FilterValue.Text text => clause.Comparator switch
        {
            Comparator.Like => Dialect.Like(column, Add(Dialect.LikePattern(text.Value))),
            Comparator.ILike => Dialect.ILike(column, Add(text.Value)),
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
