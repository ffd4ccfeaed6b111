using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>MLflow's search filter and order_by parsers: any input parses or is refused with INVALID_PARAMETER_VALUE.</summary>
public class MlflowFilterParserFuzzTests
{
    public static readonly TheoryData<string> Schemas = new() { "runs", "experiments", "registered-models", "model-versions" };

    internal static bool Refusal(Exception e) => e is KilnException { Code: Kiln.Core.Common.ErrorCode.InvalidParameterValue };

    internal static SearchSchema Schema(string name) => name switch
    {
        "runs" => SearchSchema.Runs,
        "experiments" => SearchSchema.Experiments,
        "registered-models" => SearchSchema.RegisteredModels,
        _ => SearchSchema.ModelVersions,
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Filters_parse_or_are_refused_as_invalid_parameter(string schema) =>
        Fuzzing.Property(MlflowFilterGrammar.Any, 900, text => text.Length, text => SearchParser.ParseFilter(text, Schema(schema)), Refusal);

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Order_by_clauses_parse_or_are_refused_as_invalid_parameter(string schema) =>
        Fuzzing.Property(MlflowFilterGrammar.OrderBy, 600, text => text.Length, text => SearchParser.ParseOrderBy([text], Schema(schema)), Refusal);
}
