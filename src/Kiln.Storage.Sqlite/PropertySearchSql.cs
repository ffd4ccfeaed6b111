using System.Text.Json;
using Kiln.Core.Search;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite;

/// <summary>
/// Turns a property search over JSON documents into SQLite conditions: paths become <c>-&gt;</c> and
/// <c>json_each</c> over the document, comparisons the <c>kiln_search_*</c> functions (the domain's
/// <see cref="SearchValues"/>, so SQL and memory compare alike). What it cannot express (a path through a list
/// whose element names hold dots, a list fanned out inside a fanned-out list) comes back as a residual
/// expression for <see cref="PropertySearch"/> to evaluate on the rows SQL selected.
/// </summary>
internal sealed class PropertySearchSql(SqlBuilder sql, DocumentShape shape)
{
    private int _aliases;

    /// <summary>Registers the comparison functions on a connection.</summary>
    public static void AddFunctions(SqliteConnection connection)
    {
        connection.CreateFunction("kiln_search_compare", (string? json, string filter) => Parse(json) is { } value ? SearchValues.Compare(value, filter) : (int?)null, isDeterministic: true);
        connection.CreateFunction("kiln_search_contains", (string? json, string filter) => Parse(json) is { } value && SearchValues.Contains(value, filter), isDeterministic: true);
        connection.CreateFunction("kiln_search_in", (string? json, string list) => Parse(json) is { } value && SearchValues.In(value, list), isDeterministic: true);
        connection.CreateFunction("kiln_search_number", (string? json) => Parse(json) is { } value ? SearchValues.Number(value) : null, isDeterministic: true);
        connection.CreateFunction("kiln_search_text", (string? json) => Parse(json) is { } value ? SearchValues.Text(value) : null, isDeterministic: true);
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return SearchValues.IsValue(document.RootElement) ? document.RootElement.Clone() : null;
    }

    /// <summary>The SQL condition for what can be expressed (null: none of it), and the rest (null: nothing left).</summary>
    public (string? Condition, SearchExpression? Residual) Translate(string document, SearchExpression expression)
    {
        var conditions = new List<string>();
        var residualFilters = new List<PropertyFilter>();
        var residualNested = new List<NestedFilter>();
        var residualSubs = new List<SearchExpression>();
        foreach (var filter in expression.Filters)
        {
            Add(Filter(document, shape, filter), filter, residualFilters);
        }

        foreach (var nested in expression.NestedFilters)
        {
            Add(Nested(document, nested), nested, residualNested);
        }

        foreach (var sub in expression.SubExpressions)
        {
            var (condition, residual) = Translate(document, sub);
            Add(residual is null ? condition : null, sub, residualSubs);
        }

        var left = residualFilters.Count + residualNested.Count + residualSubs.Count;
        if (expression.Operator == BooleanOperator.Or)
        {
            return left > 0 ? (null, expression) : (conditions.Count == 0 ? null : "(" + string.Join(" OR ", conditions) + ")", null);
        }

        return (conditions.Count == 0 ? null : "(" + string.Join(" AND ", conditions) + ")",
            left == 0 ? null : new SearchExpression(residualFilters, residualNested, residualSubs));

        void Add<T>(string? condition, T part, List<T> residual)
        {
            if (condition is null)
            {
                residual.Add(part);
            }
            else
            {
                conditions.Add(condition);
            }
        }
    }

    /// <summary>An expression giving the first value at <paramref name="path"/> as JSON text, for ORDER BY (null: not expressible).</summary>
    public string? FirstValue(string document, string path)
    {
        var sources = Sources(document, shape, path);
        return sources is null ? null : "COALESCE(" + string.Join(", ", sources.Select(source => $"(SELECT {source.Value} AS v {source.From} WHERE {source.Where} AND {Valid(source.Value)} LIMIT 1)")) + ", NULL)";
    }

    private string? Filter(string document, DocumentShape at, PropertyFilter filter)
    {
        if (Sources(document, at, filter.Path) is not { } sources)
        {
            return null;
        }

        var value = filter.Value is null ? null : sql.Add(filter.Value);
        return filter.Comparator switch
        {
            Comparator.IsNotNull => Any(sources, _ => "1"),
            Comparator.IsNull => $"NOT {Any(sources, _ => "1")}",
            Comparator.NotEqual => $"NOT {Any(sources, v => $"kiln_search_compare({v}, {value}) = 0")}",
            Comparator.Equal => Any(sources, v => $"kiln_search_compare({v}, {value}) = 0"),
            Comparator.Greater => Any(sources, v => $"kiln_search_compare({v}, {value}) > 0"),
            Comparator.GreaterOrEqual => Any(sources, v => $"kiln_search_compare({v}, {value}) >= 0"),
            Comparator.Less => Any(sources, v => $"kiln_search_compare({v}, {value}) < 0"),
            Comparator.LessOrEqual => Any(sources, v => $"kiln_search_compare({v}, {value}) <= 0"),
            Comparator.Contains => Any(sources, v => $"kiln_search_contains({v}, {value})"),
            Comparator.In => Any(sources, v => $"kiln_search_in({v}, {value})"),
            _ => null,
        };
    }

    /// <summary>All of a nested group's filters on one element of a list the shape knows.</summary>
    private string? Nested(string document, NestedFilter nested)
    {
        if (!shape.IsList(nested.Path, out _) || JsonPath(nested.Path) is not { } path)
        {
            return null;
        }

        var e = Alias();
        var element = $"({document} -> {e}.fullkey)";
        var inner = shape.Under(nested.Path);
        var conditions = new List<string>();
        foreach (var filter in nested.Filters)
        {
            if (Filter(element, inner, filter) is not { } condition)
            {
                return null;
            }

            conditions.Add(condition);
        }

        return $"EXISTS (SELECT 1 FROM json_each({document}, {sql.Add(path)}) {e} WHERE {string.Join(" AND ", conditions.DefaultIfEmpty("1"))})";
    }

    private static string Any(IReadOnlyList<Source> sources, Func<string, string> predicate) =>
        "(" + string.Join(" OR ", sources.Select(source => $"EXISTS (SELECT 1 {source.From} WHERE {source.Where} AND {Valid(source.Value)} AND {predicate(source.Value)})")) + ")";

    private static string Valid(string value) => $"{value} IS NOT NULL AND {value} <> 'null'";

    /// <summary>Where the values at a path come from: rows (FROM, WHERE) and each row's value as JSON text; null when SQL cannot follow the path.</summary>
    private List<Source>? Sources(string document, DocumentShape at, string path)
    {
        var segments = path.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var prefix = string.Join('.', segments.Take(i + 1));
            var rest = string.Join('.', segments.Skip(i + 1));
            if (at.IsDictionary(prefix))
            {
                return rest.Length == 0 || JsonPath(prefix) is not { } dictionary || Label(rest) is not { } key
                    ? null
                    : [Scalar(document, dictionary + "." + key)];
            }

            if (at.IsList(prefix, out var namedBy))
            {
                return List(document, prefix, namedBy, rest);
            }
        }

        return JsonPath(path) is { } member ? [Scalar(document, member)] : null;
    }

    private Source Scalar(string document, string path) => new("", "1", Leaf($"({document} -> {sql.Add(path)})"));

    /// <summary>
    /// A list's values: every element when the path ends at it; else the elements named by the rest of the path
    /// (the member naming them equals it) or, when none is, the member the rest names in each element.
    /// </summary>
    private List<Source>? List(string document, string list, string? namedBy, string rest)
    {
        if (JsonPath(list) is not { } path)
        {
            return null;
        }

        var e = Alias();
        var from = $"FROM json_each({document}, {sql.Add(path)}) {e}";
        var element = $"({document} -> {e}.fullkey)";
        if (rest.Length == 0)
        {
            return [new(from, "1", Leaf(element))];
        }

        var member = JsonPath(rest, root: "");
        if (namedBy is null)
        {
            return member is null || rest.Contains('.', StringComparison.Ordinal) ? null : [new(from, "1", Leaf($"({document} -> ({e}.fullkey || {sql.Add(member)}))"))];
        }

        if (rest.Contains('.', StringComparison.Ordinal) || member is null || Label(namedBy) is not { } name)
        {
            return null;
        }

        var other = Alias();
        var restValue = sql.Add(rest);
        var namePath = sql.Add("$." + name);
        var named = new Source(from, $"{e}.value ->> {namePath} = {restValue}", Leaf(element));
        var fannedOut = new Source(
            from,
            $"NOT EXISTS (SELECT 1 FROM json_each({document}, {sql.Add(path)}) {other} WHERE {other}.value ->> {namePath} = {restValue})",
            Leaf($"({document} -> ({e}.fullkey || {sql.Add(member)}))"));
        return [named, fannedOut];
    }

    /// <summary>A selected element stands for its value (see <see cref="PropertySearch.LeafMembers"/>).</summary>
    private static string Leaf(string value) =>
        "COALESCE(" + string.Join(", ", PropertySearch.LeafMembers.Select(member => $"{value} -> '$.{member}'")) + $", {value})";

    private string Alias() => "s" + _aliases++.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A JSON path of quoted labels (<c>$."Spec"."Name"</c>); null when a label cannot be quoted.</summary>
    private static string? JsonPath(string path, string root = "$")
    {
        var labels = path.Split('.').Select(Label).ToList();
        return labels.Any(label => label is null) ? null : root + string.Concat(labels.Select(label => "." + label));
    }

    private static string? Label(string key) => key.Length == 0 || key.Contains('"', StringComparison.Ordinal) || key.Contains('\\', StringComparison.Ordinal) ? null : $"\"{key}\"";

    private sealed record Source(string From, string Where, string Value);
}
