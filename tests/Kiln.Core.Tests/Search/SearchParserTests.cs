using Kiln.Core.Common;
using Kiln.Core.Search;

namespace Kiln.Core.Tests.Search;

public sealed class SearchParserTests
{
    public static TheoryData<string, SearchEntity, string, Comparator, object> ValidRunFilters => new()
    {
        { "metrics.auc > 0.9", SearchEntity.Metric, "auc", Comparator.Greater, 0.9 },
        { "metric.loss <= -1e-3", SearchEntity.Metric, "loss", Comparator.LessOrEqual, -0.001 },
        { "params.depth = '6'", SearchEntity.Param, "depth", Comparator.Equal, "6" },
        { "parameters.depth != \"6\"", SearchEntity.Param, "depth", Comparator.NotEqual, "6" },
        { "tags.`my tag` LIKE 'a%'", SearchEntity.Tag, "my tag", Comparator.Like, "a%" },
        { "tags.\"a.b\" ILIKE '%X'", SearchEntity.Tag, "a.b", Comparator.ILike, "%X" },
        { "params.model.lr = '0.1'", SearchEntity.Param, "model.lr", Comparator.Equal, "0.1" },
        { "attributes.status = 'FINISHED'", SearchEntity.Attribute, "status", Comparator.Equal, "FINISHED" },
        { "run_name = 'x'", SearchEntity.Attribute, "run_name", Comparator.Equal, "x" },
        { "attr.start_time >= 100", SearchEntity.Attribute, "start_time", Comparator.GreaterOrEqual, 100.0 },
        { "created < 5", SearchEntity.Attribute, "start_time", Comparator.Less, 5.0 },
        { "datasets.digest = 'abc'", SearchEntity.Dataset, "digest", Comparator.Equal, "abc" },
        { "tags.x = 'it''s'", SearchEntity.Tag, "x", Comparator.Equal, "it's" },
        { "tags.owner IS NULL", SearchEntity.Tag, "owner", Comparator.IsNull, "" },
        { "tags.owner IS NOT NULL", SearchEntity.Tag, "owner", Comparator.IsNotNull, "" },
    };

    [Theory]
    [MemberData(nameof(ValidRunFilters))]
    public void Parses_one_clause(string filter, SearchEntity entity, string key, Comparator comparator, object value)
    {
        var clause = Assert.Single(SearchParser.ParseFilter(filter, SearchSchema.Runs));
        Assert.Equal(entity, clause.Entity);
        Assert.Equal(key, clause.Key);
        Assert.Equal(comparator, clause.Comparator);
        switch (clause.Value)
        {
            case FilterValue.Number number:
                Assert.Equal((double)value, number.Value, 12);
                break;
            case FilterValue.Text text:
                Assert.Equal((string)value, text.Value);
                break;
            case FilterValue.None:
                Assert.Equal("", value);
                break;
            default:
                Assert.Fail($"unexpected value {clause.Value}");
                break;
        }
    }

    [Fact]
    public void Parses_and_ed_clauses_case_insensitively()
    {
        var clauses = SearchParser.ParseFilter("metrics.a > 1 and params.b = 'x' AnD tags.c != 'y'", SearchSchema.Runs);
        Assert.Equal([SearchEntity.Metric, SearchEntity.Param, SearchEntity.Tag], clauses.Select(c => c.Entity));
    }

    [Fact]
    public void Parses_in_lists()
    {
        var clause = Assert.Single(SearchParser.ParseFilter("attributes.run_id IN ('a', \"b\",'c')", SearchSchema.Runs));
        Assert.Equal(Comparator.In, clause.Comparator);
        Assert.Equal(["a", "b", "c"], ((FilterValue.List)clause.Value).Values);
        var notIn = Assert.Single(SearchParser.ParseFilter("run_id NOT IN ('a')", SearchSchema.Runs));
        Assert.Equal(Comparator.NotIn, notIn.Comparator);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData(null, 0)]
    public void Empty_filter_has_no_clauses(string? filter, int count) =>
        Assert.Equal(count, SearchParser.ParseFilter(filter, SearchSchema.Runs).Count);

    [Theory]
    [InlineData("metrics.auc > 0.9 OR metrics.auc < 0.1", "Invalid clause(s) in filter string: 'OR'")]
    [InlineData("metrics.auc > 'x'", "Expected numeric value type for metric. Found 'x'")]
    [InlineData("params.p = 5", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 5")]
    [InlineData("params.p < '5'", "Invalid comparator '<' not one of")]
    [InlineData("metrics.auc LIKE 5", "Invalid comparator 'LIKE' not one of")]
    [InlineData("attributes.unknown = 'x'", "Invalid attribute key 'unknown' specified.")]
    [InlineData("nonsense.key = 'x'", "Invalid entity type 'nonsense'.")]
    [InlineData("run_name IN ('a')", "Only the")]
    [InlineData("start_time = 'yesterday'", "Expected numeric value type for numeric attribute: start_time.")]
    [InlineData("metrics.auc >", "Invalid comparison clause")]
    [InlineData("metrics.auc > 1 AND", "Invalid clause(s) in filter string")]
    [InlineData("= 5", "Invalid comparison clause. Expected 'Identifier'")]
    [InlineData("tags.x = 'open", "Could not be parsed")]
    [InlineData("tags.x == 'a' ; DROP TABLE runs", "Could not be parsed")]
    public void Refuses_what_is_not_grammar(string filter, string message)
    {
        var error = Assert.Throws<KilnException>(() => SearchParser.ParseFilter(filter, SearchSchema.Runs));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Experiment_schema_narrows_keys()
    {
        Assert.Single(SearchParser.ParseFilter("name LIKE 'a%'", SearchSchema.Experiments));
        Assert.Single(SearchParser.ParseFilter("creation_time > 5", SearchSchema.Experiments));
        Assert.Throws<KilnException>(() => SearchParser.ParseFilter("metrics.x > 1", SearchSchema.Experiments));
        Assert.Throws<KilnException>(() => SearchParser.ParseFilter("name IN ('a')", SearchSchema.Experiments));
    }

    [Theory]
    [InlineData("metrics.auc DESC", SearchEntity.Metric, "auc", false)]
    [InlineData("metrics.`f1 score`", SearchEntity.Metric, "f1 score", true)]
    [InlineData("params.depth asc", SearchEntity.Param, "depth", true)]
    [InlineData("start_time DESC", SearchEntity.Attribute, "start_time", false)]
    [InlineData("attribute.created", SearchEntity.Attribute, "start_time", true)]
    public void Parses_order_by(string text, SearchEntity entity, string key, bool ascending)
    {
        var clause = Assert.Single(SearchParser.ParseOrderBy([text], SearchSchema.Runs));
        Assert.Equal(new OrderByClause(entity, key, ascending), clause);
    }

    [Theory]
    [InlineData("metrics.auc DESCENDING")]
    [InlineData("metrics.auc DESC extra")]
    [InlineData("colour")]
    [InlineData("")]
    public void Refuses_bad_order_by(string text) =>
        Assert.Throws<KilnException>(() => SearchParser.ParseOrderBy([text], SearchSchema.Runs));
}
