using Kiln.Core.Common;

namespace Kiln.Core.Search;

public enum BooleanOperator
{
    And,
    Or,
}

/// <summary>
/// One condition on a record's property, named by a dotted path into the record as stored
/// (<c>Spec.HyperParameters.eta</c>, <c>FinalMetrics.validation:auc</c>, <c>Spec.Tags.team</c>).
/// A path segment that names an element of a list (by the element's <c>…Name</c> or <c>Key</c>) selects it;
/// otherwise a list fans out and the condition holds when it holds for one of its elements
/// (<see cref="Comparator.NotEqual"/>: for none of them). <see cref="Comparator.IsNull"/> and
/// <see cref="Comparator.IsNotNull"/> ask whether the path reaches a value; <see cref="Comparator.In"/>
/// takes a comma-separated list.
/// </summary>
public sealed record PropertyFilter(string Path, Comparator Comparator, string? Value = null);

/// <summary>Conditions that must all hold for the same element of the list at <see cref="Path"/>; their paths are relative to the element.</summary>
public sealed record NestedFilter(string Path, IReadOnlyList<PropertyFilter> Filters);

/// <summary>Filters, nested filters and sub-expressions, combined with one boolean operator.</summary>
public sealed record SearchExpression(
    IReadOnlyList<PropertyFilter> Filters,
    IReadOnlyList<NestedFilter> NestedFilters,
    IReadOnlyList<SearchExpression> SubExpressions,
    BooleanOperator Operator = BooleanOperator.And)
{
    public static SearchExpression AllOf(params PropertyFilter[] filters) => new(filters, [], []);

    public static SearchExpression AnyOf(params SearchExpression[] expressions) => new([], [], expressions, BooleanOperator.Or);

    /// <summary>The same expression with every path rewritten (a dialect's property names to the record's); nested filters' paths stay relative.</summary>
    public SearchExpression MapPaths(Func<string, string> map, Func<string, string, string> mapNested) => this with
    {
        Filters = Filters.Select(filter => filter with { Path = map(filter.Path) }).ToList(),
        NestedFilters = NestedFilters.Select(nested => new NestedFilter(
            map(nested.Path),
            nested.Filters.Select(filter => filter with { Path = mapNested(nested.Path, filter.Path) }).ToList())).ToList(),
        SubExpressions = SubExpressions.Select(sub => sub.MapPaths(map, mapNested)).ToList(),
    };
}

/// <summary>
/// A search over one kind of record: which records (<see cref="Where"/>, all when null), ordered by the
/// value at <see cref="SortBy"/> (numbers and times by value, the rest as text; records without one first
/// when ascending), one page of them.
/// </summary>
public sealed record PropertySearchQuery(SearchExpression? Where, string SortBy, bool Ascending = false, int MaxResults = 10, string? PageToken = null)
{
    /// <summary>Comparators that order values: their value must be a number or a time.</summary>
    public static readonly IReadOnlySet<Comparator> Ordering = new HashSet<Comparator>
    {
        Comparator.Greater, Comparator.GreaterOrEqual, Comparator.Less, Comparator.LessOrEqual,
    };

    /// <summary>Comparators a property filter takes.</summary>
    public static readonly IReadOnlySet<Comparator> Supported = new HashSet<Comparator>
    {
        Comparator.Equal, Comparator.NotEqual, Comparator.Greater, Comparator.GreaterOrEqual, Comparator.Less, Comparator.LessOrEqual,
        Comparator.Contains, Comparator.IsNull, Comparator.IsNotNull, Comparator.In,
    };

    /// <summary>Refuses what cannot be evaluated: a comparator search does not have, a missing value, a non-number to order by, no page.</summary>
    public void Validate()
    {
        if (Where is { } where)
        {
            Validate(where);
        }

        if (MaxResults < 1)
        {
            throw KilnException.InvalidParameter($"MaxResults must be at least 1, not {MaxResults}.");
        }
    }

    private static void Validate(SearchExpression expression)
    {
        foreach (var filter in expression.Filters.Concat(expression.NestedFilters.SelectMany(nested => nested.Filters)))
        {
            if (!Supported.Contains(filter.Comparator))
            {
                throw KilnException.InvalidParameter($"Filter '{filter.Path}': search has no {filter.Comparator} comparison.");
            }

            if (filter.Comparator is not (Comparator.IsNull or Comparator.IsNotNull) && filter.Value is null)
            {
                throw KilnException.InvalidParameter($"Filter '{filter.Path}': the {filter.Comparator} comparison needs a value.");
            }

            if (Ordering.Contains(filter.Comparator) && SearchValues.Number(filter.Value!) is null)
            {
                throw KilnException.InvalidParameter($"Filter '{filter.Path}': {filter.Comparator} compares numbers or times, and '{filter.Value}' is neither.");
            }
        }

        foreach (var sub in expression.SubExpressions)
        {
            Validate(sub);
        }
    }
}
