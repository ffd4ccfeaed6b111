namespace Kiln.Core.Search;

/// <summary>
/// What one kind of record (runs, experiments, registered models, model versions) can be filtered
/// and ordered by. The grammar is shared; the schema narrows keys and comparators per record kind.
/// </summary>
public sealed class SearchSchema
{
    internal static readonly IReadOnlySet<Comparator> NumericComparators = new HashSet<Comparator>
    {
        Comparator.Equal, Comparator.NotEqual, Comparator.Less, Comparator.LessOrEqual, Comparator.Greater, Comparator.GreaterOrEqual,
    };

    internal static readonly IReadOnlySet<Comparator> KeyValueComparators = new HashSet<Comparator>
    {
        Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike,
    };

    internal static readonly IReadOnlySet<Comparator> StringAttributeComparators = new HashSet<Comparator>
    {
        Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike, Comparator.In, Comparator.NotIn,
    };

    /// <summary>Entity prefixes users may write (<c>metrics.</c>, <c>metric.</c>, <c>params.</c>, …) and what they mean.</summary>
    public required IReadOnlyDictionary<string, SearchEntity> Prefixes { get; init; }

    public required IReadOnlySet<string> StringAttributes { get; init; }

    public required IReadOnlySet<string> NumericAttributes { get; init; }

    /// <summary>Attributes compared with <c>IN</c> lists; other string attributes take a single quoted value.</summary>
    public IReadOnlySet<string> ListAttributes { get; init; } = new HashSet<string>();

    public IReadOnlySet<string> DatasetAttributes { get; init; } = new HashSet<string>();

    public required IReadOnlySet<string> OrderByAttributes { get; init; }

    /// <summary>Comparators allowed on string attributes (some record kinds allow fewer than runs do).</summary>
    public IReadOnlySet<Comparator> StringComparators { get; init; } = StringAttributeComparators;

    /// <summary>Maps alternative attribute names to the canonical one (e.g. <c>created</c> → <c>start_time</c>).</summary>
    public IReadOnlyDictionary<string, string> AttributeAliases { get; init; } = new Dictionary<string, string>();

    public static readonly SearchSchema Runs = new()
    {
        Prefixes = new Dictionary<string, SearchEntity>(StringComparer.Ordinal)
        {
            ["metric"] = SearchEntity.Metric,
            ["metrics"] = SearchEntity.Metric,
            ["param"] = SearchEntity.Param,
            ["params"] = SearchEntity.Param,
            ["parameter"] = SearchEntity.Param,
            ["parameters"] = SearchEntity.Param,
            ["tag"] = SearchEntity.Tag,
            ["tags"] = SearchEntity.Tag,
            ["attribute"] = SearchEntity.Attribute,
            ["attributes"] = SearchEntity.Attribute,
            ["attr"] = SearchEntity.Attribute,
            ["run"] = SearchEntity.Attribute,
            ["dataset"] = SearchEntity.Dataset,
            ["datasets"] = SearchEntity.Dataset,
        },
        StringAttributes = new HashSet<string> { "run_id", "run_name", "status", "artifact_uri", "user_id", "lifecycle_stage" },
        NumericAttributes = new HashSet<string> { "start_time", "end_time", "created", "Created" },
        ListAttributes = new HashSet<string> { "run_id" },
        DatasetAttributes = new HashSet<string> { "name", "digest", "context" },
        OrderByAttributes = new HashSet<string>
        {
            "run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "artifact_uri", "user_id", "lifecycle_stage", "created", "Created",
        },
        AttributeAliases = new Dictionary<string, string> { ["created"] = "start_time", ["Created"] = "start_time" },
    };

    public static readonly SearchSchema Experiments = new()
    {
        Prefixes = new Dictionary<string, SearchEntity>(StringComparer.Ordinal)
        {
            ["tag"] = SearchEntity.Tag,
            ["tags"] = SearchEntity.Tag,
            ["attribute"] = SearchEntity.Attribute,
            ["attributes"] = SearchEntity.Attribute,
            ["attr"] = SearchEntity.Attribute,
        },
        StringAttributes = new HashSet<string> { "name" },
        NumericAttributes = new HashSet<string> { "creation_time", "last_update_time" },
        OrderByAttributes = new HashSet<string> { "experiment_id", "name", "creation_time", "last_update_time" },
        StringComparators = KeyValueComparators,
    };

    public static readonly SearchSchema RegisteredModels = new()
    {
        Prefixes = new Dictionary<string, SearchEntity>(StringComparer.Ordinal)
        {
            ["tag"] = SearchEntity.Tag,
            ["tags"] = SearchEntity.Tag,
            ["attribute"] = SearchEntity.Attribute,
            ["attributes"] = SearchEntity.Attribute,
        },
        StringAttributes = new HashSet<string> { "name" },
        NumericAttributes = new HashSet<string>(),
        OrderByAttributes = new HashSet<string> { "name", "timestamp", "last_updated_timestamp", "creation_timestamp" },
        StringComparators = KeyValueComparators,
        AttributeAliases = new Dictionary<string, string> { ["timestamp"] = "last_updated_timestamp" },
    };

    public static readonly SearchSchema ModelVersions = new()
    {
        Prefixes = new Dictionary<string, SearchEntity>(StringComparer.Ordinal)
        {
            ["tag"] = SearchEntity.Tag,
            ["tags"] = SearchEntity.Tag,
            ["attribute"] = SearchEntity.Attribute,
            ["attributes"] = SearchEntity.Attribute,
        },
        StringAttributes = new HashSet<string> { "name", "run_id", "source_path" },
        NumericAttributes = new HashSet<string> { "version_number" },
        ListAttributes = new HashSet<string> { "run_id" },
        OrderByAttributes = new HashSet<string> { "name", "version_number", "creation_timestamp", "last_updated_timestamp", "timestamp" },
        AttributeAliases = new Dictionary<string, string> { ["timestamp"] = "last_updated_timestamp" },
    };
}
