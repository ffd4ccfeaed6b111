using System.Text.Json;
using CsCheck;
using Kiln.Core.Search;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>
/// SageMaker Search's filters as the domain evaluates them (paths into stored records, comparators, values):
/// any query is answered or refused with INVALID_PARAMETER_VALUE. Names stay within the API's 255 characters.
/// </summary>
public class PropertySearchFuzzTests
{
    private static readonly JsonElement[] Records =
    [
        JsonDocument.Parse("""
            {"Name":"job-1","CreationTime":"2026-01-01T00:00:00Z","Spec":{"HyperParameters":{"eta":"0.3","max.depth":"5"},
             "Tags":[{"Key":"team","Value":"ml"}]},"FinalMetrics":[{"MetricName":"validation:auc","Value":0.91}],
             "Parameters":[{"Name":"lr","NumberValue":0.1},{"Name":"opt","StringValue":"adam"}],"Nested":[[1,2],[{"Name":"x","Value":null}]]}
            """).RootElement,
        JsonDocument.Parse("""{"Name":"job-2","CreationTime":12345,"Spec":null,"FinalMetrics":[],"Tags":{"a.b":"c"}}""").RootElement,
        JsonDocument.Parse("""{"Name":"","CreationTime":"not a time","Status":true,"Value":1e308}""").RootElement,
    ];

    private static readonly Gen<string> Path = Gen.Frequency(
        (4, Gen.OneOf("Name", "CreationTime", "Spec.HyperParameters.eta", "Spec.HyperParameters.max.depth", "Spec.Tags.team", "FinalMetrics.validation:auc",
            "Parameters.lr", "Parameters.opt", "Nested", "Nested.x", "Tags.a.b", "Status", "Value", "", ".", "..", "a..b", "Spec.", ".Name")),
        (2, Gen.String[Gen.Char["ab.:_NameKeyValue"], 0, 40]),
        (1, Gen.Select(Gen.Int[1, 127], n => Mutations.Repeat("a", n, "."))),
        (1, Mutations.Noise));

    private static readonly Gen<Comparator> Comparators = Gen.Enum<Comparator>();

    private static readonly Gen<string?> Value = Gen.Frequency(
        (3, Gen.OneOf<string?>("0.5", "1", "-1e400", "1e400", "NaN", "2026-01-01", "2026-13-45T99:99:99Z", "-", "a,b,,c", ",", "", "ml", null)),
        (2, Gen.Double.Select(d => (string?)d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        (2, Mutations.Noise.Select(text => (string?)text)));

    private static readonly Gen<PropertyFilter> Filter = Gen.Select(Path, Comparators, Value, (path, comparator, value) => new PropertyFilter(path, comparator, value));

    private static readonly Gen<SearchExpression> Expression = Gen.Recursive<SearchExpression>((depth, inner) => Gen.Select(
        Filter.List[0, 4],
        Gen.Select(Path, Filter.List[0, 3], (path, filters) => new NestedFilter(path, filters)).List[0, depth < 3 ? 2 : 0],
        inner.List[0, depth < 3 ? 3 : 0],
        Gen.Enum<BooleanOperator>(),
        (filters, nested, subs, op) => new SearchExpression(filters, nested, subs, op)));

    private static readonly Gen<PropertySearchQuery> Query = Gen.Select(
        Gen.Frequency((1, Gen.Const((SearchExpression?)null)), (6, Expression.Select(e => (SearchExpression?)e))),
        Path,
        Gen.Bool,
        Gen.Int[-2, 101],
        Gen.OneOf<string?>(null, "", "garbage", "MTA=", "eyJ4IjoxfQ==", "-1"),
        (where, sortBy, ascending, max, token) => new PropertySearchQuery(where, sortBy, ascending, max, token));

    [Fact]
    public void Queries_are_answered_or_refused_as_invalid_parameter() =>
        Fuzzing.Property(Query, 900, query => 1000, query => PropertySearch.Run(Records, query, record => record), MlflowFilterParserFuzzTests.Refusal);
}
