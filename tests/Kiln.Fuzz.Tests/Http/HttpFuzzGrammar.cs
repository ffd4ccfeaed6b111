using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;
using Kiln.Fuzz.Tests.Parsers;

namespace Kiln.Fuzz.Tests.Http;

/// <summary>Request bodies for the HTTP fuzzing: well-formed requests with fuzzed fields, fields of the wrong type, and mutated text.</summary>
public static class HttpFuzzGrammar
{
    /// <summary>A JSON value of any type, for fields that get the wrong one.</summary>
    public static readonly Gen<string> AnyJson = Gen.Frequency(
        (3, Gen.OneOf("null", "0", "-1", "1e400", "2147483648", "99999999999999999999", "true", "\"\"", "\"x\"", "[]", "{}", "[\"a\"]", "{\"a\":1}")),
        (1, Mutations.Noise.Select(PipelineGrammar.JsonString)));

    private static Gen<string> Field(Gen<string> usual) => Gen.Frequency((4, usual), (1, AnyJson));

    private static Gen<string> Text(Gen<string> text) => Field(text.Select(PipelineGrammar.JsonString));

    private static string Object(params (string Name, string? Json)[] fields) =>
        "{" + string.Join(",", fields.Where(f => f.Json is not null).Select(f => $"{PipelineGrammar.JsonString(f.Name)}:{f.Json}")) + "}";

    private static Gen<string?> Optional(Gen<string> value) => Gen.Frequency((1, Gen.Const((string?)null)), (3, value.Select(v => (string?)v)));

    /// <summary>Whole bodies as text, sometimes mutated into malformed JSON.</summary>
    private static Gen<string> Bodies(Gen<string> wellFormed) => Gen.Frequency((5, wellFormed), (2, Mutations.Mutate(wellFormed)), (1, Mutations.Noise));

    private static readonly Gen<string> MaxResults = Field(Gen.OneOf("1", "10", "0", "-5", "1000", "50001", "1.5"));

    private static readonly Gen<string> PageToken = Text(Gen.OneOf("", "garbage", "eyJvZmZzZXQiOiAxfQ==", "eyJvZmZzZXQiOiAtMX0=", "eyJvZmZzZXQiOiAxZTQwMH0=", "eyJ4Ijp7fX0=", "////"));

    public static Gen<string> RunsSearch(string experimentId) => Bodies(Gen.Select(
        Optional(Text(MlflowFilterGrammar.Any)),
        Optional(Field(MlflowFilterGrammar.OrderBy.Array[0, 3].Select(items => "[" + string.Join(",", items.Select(PipelineGrammar.JsonString)) + "]"))),
        Optional(MaxResults), Optional(PageToken), Optional(Field(Gen.OneOf($"[\"{experimentId}\"]", "[\"0\"]", "[\"999\"]", "[]", "[\"x\"]"))),
        Optional(Field(Gen.OneOf("\"ACTIVE_ONLY\"", "\"ALL\"", "\"DELETED_ONLY\"", "\"bogus\"", "1"))),
        (filter, orderBy, max, token, ids, view) => Object(("experiment_ids", ids ?? $"[\"{experimentId}\"]"), ("filter", filter), ("order_by", orderBy), ("max_results", max), ("page_token", token), ("run_view_type", view))));

    public static readonly Gen<string> ExperimentsSearch = Bodies(Gen.Select(
        Optional(Text(MlflowFilterGrammar.Any)),
        Optional(Field(MlflowFilterGrammar.OrderBy.Array[0, 3].Select(items => "[" + string.Join(",", items.Select(PipelineGrammar.JsonString)) + "]"))),
        Optional(MaxResults), Optional(PageToken),
        (filter, orderBy, max, token) => Object(("filter", filter), ("order_by", orderBy), ("max_results", max), ("page_token", token))));

    /// <summary>Query strings for the GET searches of the registry (without the huge filters: a URL that long is refused by Kestrel before Kiln sees it).</summary>
    public static readonly Gen<string> RegistrySearchQuery = Gen.Select(
        MlflowFilterGrammar.Bounded, MlflowFilterGrammar.OrderBy, Gen.OneOf("", "1", "0", "-1", "x", "200000", "1e3"), Gen.OneOf("", "garbage", "eyJvZmZzZXQiOiAxfQ=="),
        (filter, orderBy, max, token) => $"filter={Uri.EscapeDataString(filter)}&order_by={Uri.EscapeDataString(orderBy)}&max_results={max}&page_token={Uri.EscapeDataString(token)}");

    private static readonly Gen<string> SearchFilter = Gen.Select(
        Text(Gen.OneOf("TrainingJobName", "Tags.team", "HyperParameters.eta", "Metrics.validation:auc", "CreationTime", "ExperimentName", "Parameters.lr",
            "DisplayName", "ModelPackageGroupName", "", ".", "a..b", new string('a', 256))),
        Optional(Field(Gen.OneOf("\"Equals\"", "\"NotEquals\"", "\"GreaterThan\"", "\"LessThanOrEqualTo\"", "\"Contains\"", "\"Exists\"", "\"NotExists\"", "\"In\"", "\"Bogus\"", "\"\""))),
        Optional(Text(Gen.OneOf("1", "abc", "2026-01-01T00:00:00Z", "1e400", "a,b", "", new string('v', 1025)))),
        (name, op, value) => Object(("Name", name), ("Operator", op), ("Value", value)));

    private static readonly Gen<string> SearchExpression = Gen.Recursive<string>((depth, inner) => Gen.Select(
        Optional(SearchFilter.Array[0, depth < 2 ? 4 : 1].Select(items => "[" + string.Join(",", items) + "]")),
        Optional(Gen.Select(Text(Gen.OneOf("Metrics", "Tags", "Parameters", "")), SearchFilter.Array[0, 3], (name, filters) => Object(("NestedPropertyName", name), ("Filters", "[" + string.Join(",", filters) + "]"))).Array[0, 2].Select(items => "[" + string.Join(",", items) + "]")),
        Optional(inner.Array[0, depth < 3 ? 3 : 0].Select(items => "[" + string.Join(",", items) + "]")),
        Optional(Field(Gen.OneOf("\"And\"", "\"Or\"", "\"Xor\""))),
        (filters, nested, subs, op) => Object(("Filters", filters), ("NestedFilters", nested), ("SubExpressions", subs), ("Operator", op))));

    public static readonly Gen<string> Search = Bodies(Gen.Select(
        Field(Gen.OneOf("\"TrainingJob\"", "\"Experiment\"", "\"ExperimentTrial\"", "\"ExperimentTrialComponent\"", "\"ModelPackage\"", "\"Endpoint\"", "\"Bogus\"")),
        Optional(Field(SearchExpression)),
        Optional(Text(Gen.OneOf("CreationTime", "Name", "Tags.team", "Metrics.x", ""))),
        Optional(Field(Gen.OneOf("\"Ascending\"", "\"Descending\"", "\"Up\""))),
        Optional(MaxResults), Optional(PageToken),
        (resource, expression, sortBy, sortOrder, max, token) =>
            Object(("Resource", resource), ("SearchExpression", expression), ("SortBy", sortBy), ("SortOrder", sortOrder), ("MaxResults", max), ("NextToken", token))));

    public static readonly Gen<string> ListOperation = Gen.OneOf(
        "ListTrainingJobs", "ListProcessingJobs", "ListTransformJobs", "ListModels", "ListEndpoints", "ListPipelines", "ListExperiments", "ListTrials",
        "ListTrialComponents", "ListModelPackages", "ListModelPackageGroups", "ListHyperParameterTuningJobs", "ListAutoMLJobs", "ListMonitoringSchedules");

    private static readonly Gen<string> Time = Field(Gen.OneOf("0", "1700000000", "1.7e9", "-1", "1e400", "\"2026-01-01T00:00:00Z\"", "\"yesterday\"", "\"\""));

    public static readonly Gen<string> List = Bodies(Gen.Select(
        Optional(Text(Gen.OneOf("", "job", "%", "_", "a'b", new string('n', 100)))),
        Optional(Time), Optional(Time),
        Optional(Field(Gen.OneOf("\"Name\"", "\"CreationTime\"", "\"Status\"", "\"Bogus\""))),
        Optional(Field(Gen.OneOf("\"Ascending\"", "\"Descending\"", "\"Up\""))),
        Optional(MaxResults), Optional(PageToken),
        (name, after, before, sortBy, sortOrder, max, token) => Object(("NameContains", name), ("CreationTimeAfter", after), ("CreationTimeBefore", before),
            ("SortBy", sortBy), ("SortOrder", sortOrder), ("MaxResults", max), ("NextToken", token))));

    public static Gen<string> CreatePipeline(string role) => Bodies(Gen.Select(
        Text(Gen.OneOf("fuzz-a", "fuzz-b", "", "-bad", new string('p', 257))),
        Gen.Frequency((6, PipelineGrammar.Any.Select(PipelineGrammar.JsonString)), (1, AnyJson)),
        Optional(Text(Gen.OneOf(role, "", "not-an-arn"))),
        Optional(Text(Gen.OneOf("fuzz-token-0000000000000000000000001", "token-1", "", new string('t', 200)))),
        (name, definition, roleArn, token) => Object(("PipelineName", name), ("PipelineDefinition", definition), ("RoleArn", roleArn), ("ClientRequestToken", token))));
}
