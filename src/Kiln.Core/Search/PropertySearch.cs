using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Search;

/// <summary>
/// Evaluates a <see cref="PropertySearchQuery"/> over records held in memory as JSON documents: for record
/// kinds no store can query (views computed from several records), and for the part of a query a store's
/// query language cannot express.
/// </summary>
public static class PropertySearch
{
    /// <summary>Filters, orders and pages <paramref name="records"/>; ties keep the order the records came in (reversed when descending).</summary>
    public static Page<T> Run<T>(IEnumerable<T> records, PropertySearchQuery query, Func<T, JsonElement> document)
    {
        query.Validate();
        var documents = records.Select(record => (Record: record, Document: document(record))).ToList();
        var matching = documents.Where(pair => query.Where is not { } where || Matches(pair.Document, where)).ToList();
        var ordered = matching.OrderBy(pair => SortKey(pair.Document, query.SortBy), Comparer<JsonElement?>.Create(SearchValues.CompareKeys)).ToList();
        if (!query.Ascending)
        {
            ordered.Reverse();
        }

        return PageToken.Slice(ordered.Select(pair => pair.Record).ToList(), query.PageToken, query.MaxResults);
    }

    public static bool Matches(JsonElement document, SearchExpression expression)
    {
        var results = expression.Filters.Select(filter => Matches(document, filter))
            .Concat(expression.NestedFilters.Select(nested => Elements(document, nested.Path).Any(element => nested.Filters.All(filter => Matches(element, filter)))))
            .Concat(expression.SubExpressions.Select(sub => Matches(document, sub)));
        return expression.Operator == BooleanOperator.Or ? results.Any(result => result) : results.All(result => result);
    }

    public static bool Matches(JsonElement document, PropertyFilter filter)
    {
        var values = Values(document, filter.Path).ToList();
        var text = filter.Value!;
        return filter.Comparator switch
        {
            Comparator.IsNotNull => values.Count > 0,
            Comparator.IsNull => values.Count == 0,
            Comparator.NotEqual => values.All(value => SearchValues.Compare(value, text) != 0),
            Comparator.In => values.Any(value => SearchValues.In(value, text)),
            Comparator.Contains => values.Any(value => SearchValues.Contains(value, text)),
            Comparator.Equal => values.Any(value => SearchValues.Compare(value, text) == 0),
            Comparator.Greater => values.Any(value => SearchValues.Compare(value, text) > 0),
            Comparator.GreaterOrEqual => values.Any(value => SearchValues.Compare(value, text) >= 0),
            Comparator.Less => values.Any(value => SearchValues.Compare(value, text) < 0),
            Comparator.LessOrEqual => values.Any(value => SearchValues.Compare(value, text) <= 0),
            _ => throw KilnException.InvalidParameter($"Filter '{filter.Path}': search has no {filter.Comparator} comparison."),
        };
    }

    /// <summary>The first value at <paramref name="path"/>, what a record is sorted by.</summary>
    public static JsonElement? SortKey(JsonElement document, string path) =>
        Values(document, path).Select(value => (JsonElement?)value).FirstOrDefault();

    /// <summary>The values a path reaches, each selected element standing for its value, nulls left out.</summary>
    public static IEnumerable<JsonElement> Values(JsonElement document, string path) =>
        Walk(document, Split(path), expandLists: true).Select(Leaf).Where(SearchValues.IsValue);

    /// <summary>The elements of the list(s) at <paramref name="path"/> (or the one value there).</summary>
    private static IEnumerable<JsonElement> Elements(JsonElement document, string path) =>
        Walk(document, Split(path), expandLists: false).SelectMany(value => value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value]);

    private static List<string> Split(string path) => path.Split('.').ToList();

    /// <summary>A list either fans out (each element) or, when the next segment names one of its elements, selects it.</summary>
    private static IEnumerable<JsonElement> Walk(JsonElement value, List<string> path, bool expandLists)
    {
        if (path.Count == 0)
        {
            if (expandLists && value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    yield return item;
                }
            }
            else
            {
                yield return value;
            }

            yield break;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                // Keys may hold dots (hyperparameter names): try the longest key first.
                for (var take = path.Count; take >= 1; take--)
                {
                    if (value.TryGetProperty(string.Join('.', path.Take(take)), out var member))
                    {
                        foreach (var found in Walk(member, path.Skip(take).ToList(), expandLists))
                        {
                            yield return found;
                        }

                        yield break;
                    }
                }

                break;
            case JsonValueKind.Array:
                var whole = string.Join('.', path);
                var named = value.EnumerateArray().Where(item => Names(item).Any(name => name == whole || name == path[0])).ToList();
                if (named.Count > 0)
                {
                    foreach (var item in named)
                    {
                        var consumed = Names(item).Contains(whole) ? path.Count : 1;
                        foreach (var found in Walk(item, path.Skip(consumed).ToList(), expandLists))
                        {
                            yield return found;
                        }
                    }

                    yield break;
                }

                foreach (var item in value.EnumerateArray())
                {
                    foreach (var found in Walk(item, path, expandLists))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    /// <summary>What names a list element: its string members called <c>…Name</c> or <c>Key</c>.</summary>
    public static IEnumerable<string> Names(JsonElement item) =>
        item.ValueKind != JsonValueKind.Object
            ? []
            : item.EnumerateObject().Where(p => (p.Name.EndsWith("Name", StringComparison.Ordinal) || p.Name == "Key") && p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!);

    /// <summary>The members a selected element stands for, in order: a metric's Value (or Last), a tag's Value, a parameter's NumberValue or StringValue.</summary>
    public static readonly IReadOnlyList<string> LeafMembers = ["Value", "Last", "NumberValue", "StringValue"];

    private static JsonElement Leaf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return value;
        }

        foreach (var name in LeafMembers)
        {
            if (value.TryGetProperty(name, out var inner))
            {
                return inner;
            }
        }

        return value;
    }
}
