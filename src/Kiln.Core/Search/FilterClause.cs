namespace Kiln.Core.Search;

/// <summary>What a filter or order-by key refers to: an entity's attribute or one of its key/value collections.</summary>
public enum SearchEntity
{
    Attribute,
    Metric,
    Param,
    Tag,
    Dataset,
}

public enum Comparator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Like,
    ILike,
    In,
    NotIn,
    IsNull,
    IsNotNull,

    /// <summary>The value holds the text, in any case (SageMaker Search's Contains).</summary>
    Contains,
}

/// <summary>A literal on the right-hand side of a comparison.</summary>
public abstract record FilterValue
{
    public sealed record Number(double Value) : FilterValue;

    public sealed record Text(string Value) : FilterValue;

    public sealed record List(IReadOnlyList<string> Values) : FilterValue;

    public sealed record None : FilterValue
    {
        public static readonly None Instance = new();
    }
}

/// <summary>One <c>entity.key comparator value</c> term of an AND-ed filter.</summary>
public sealed record FilterClause(SearchEntity Entity, string Key, Comparator Comparator, FilterValue Value);

public sealed record OrderByClause(SearchEntity Entity, string Key, bool Ascending);

public static class ComparatorText
{
    public static string ToText(this Comparator comparator) => comparator switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "!=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Like => "LIKE",
        Comparator.ILike => "ILIKE",
        Comparator.In => "IN",
        Comparator.NotIn => "NOT IN",
        Comparator.IsNull => "IS NULL",
        Comparator.IsNotNull => "IS NOT NULL",
        Comparator.Contains => "CONTAINS",
        _ => throw new ArgumentOutOfRangeException(nameof(comparator)),
    };
}
