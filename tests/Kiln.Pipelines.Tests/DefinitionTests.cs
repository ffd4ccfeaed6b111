using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Pipelines.Definition;
using Kiln.Pipelines.Expressions;

namespace Kiln.Pipelines.Tests;

public sealed class DefinitionTests
{
    /// <summary>Property checks as the API's are, for the one describe output these tests use.</summary>
    private sealed class TrainingProperties : IPipelineOperations
    {
        public Task<JsonElement> InvokeAsync(string operation, JsonElement request, string caller, CancellationToken ct = default) => throw new NotSupportedException();

        public string? CheckPropertyPath(string describeOperation, IReadOnlyList<PropertyPathSegment> path) =>
            path[0].Member is "ModelArtifacts" or "TrainingJobName" or "FinalMetricDataList" or "ProcessingOutputConfig" ? null : $"there is no '{path[0].Member}'";
    }

    private static readonly IPipelineOperations Operations = new TrainingProperties();

    private static string Definition(string steps, string parameters = """[{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.7}]""") =>
        $$"""{"Version": "2020-12-01", "Parameters": {{parameters}}, "Steps": {{steps}}}""";

    private const string Train = """{"Name": "Train", "Type": "Training", "Arguments": {"RoleArn": "r"}}""";

    private const string Check = """
        {"Name": "Check", "Type": "Condition", "Arguments": {
          "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['auc'].Value"}, "RightValue": {"Get": "Parameters.Threshold"}}],
          "IfSteps": [{"Name": "Register", "Type": "RegisterModel", "Arguments": {"ModelPackageGroupName": "g", "InferenceSpecification": {"Containers": [{"ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}]}}}],
          "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "too low"}}]}}
        """;

    private static string Error(string json) =>
        Assert.Throws<PipelineDefinitionException>(() => DefinitionValidator.ParseAndValidate(json, Operations)).Message;

    [Fact]
    public void Condition_branches_are_flattened_with_their_condition_and_place()
    {
        var definition = DefinitionValidator.ParseAndValidate(Definition($"[{Train}, {Check}]"), Operations);
        Assert.Equal(["Train", "Check", "Register", "Stop"], definition.Steps.Select(step => step.Name));
        var register = definition.Step("Register")!;
        Assert.Equal(("Check", true, "Steps[1].Arguments.IfSteps[0]"), (register.ConditionStep, register.OnTrue, register.Place));
        Assert.False(definition.Step("Stop")!.OnTrue);
        Assert.Equal(["Check", "Train"], DefinitionValidator.Dependencies(definition, register).Order(StringComparer.Ordinal));
        Assert.Equal(["Train"], DefinitionValidator.Dependencies(definition, definition.Step("Check")!));
    }

    [Fact]
    public void A_cycle_is_reported_with_the_steps_that_form_it()
    {
        var a = """{"Name": "A", "Type": "Training", "DependsOn": ["B"], "Arguments": {}}""";
        var b = """{"Name": "B", "Type": "Training", "Arguments": {"X": {"Get": "Steps.A.TrainingJobName"}}}""";
        var message = Error(Definition($"[{a}, {b}]"));
        Assert.Contains("cycle", message, StringComparison.Ordinal);
        Assert.Contains("A -> B -> A", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {"X": {"Get": "Steps.Nope.TrainingJobName"}}}]""", "Steps[0].Arguments.X", "'Nope'")]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {}}, {"Name": "B", "Type": "Training", "Arguments": {"X": {"Get": "Steps.A.Colour"}}}]""", "Steps[1].Arguments.X", "Colour")]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {"X": {"Get": "Parameters.Missing"}}}]""", "Steps[0].Arguments.X", "Missing")]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {"X": {"Get": "Execution.Weather"}}}]""", "Steps[0].Arguments.X", "Execution.Weather")]
    [InlineData("""[{"Name": "A", "Type": "Trainer", "Arguments": {}}]""", "Steps[0]", "'Trainer' is not a step type")]
    [InlineData("""[{"Name": "A", "Type": "Lambda", "Arguments": {}}]""", "Steps[0]", "not supported by Kiln yet")]
    [InlineData("""[{"Name": "A", "Type": "Training", "DependsOn": ["Z"], "Arguments": {}}]""", "Steps[0]", "'Z'")]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {"TrainingJobName": "x"}}]""", "Steps[0]", "TrainingJobName")]
    [InlineData("""[{"Name": "A", "Type": "Training", "Arguments": {}}, {"Name": "A", "Type": "Fail", "Arguments": {}}]""", "Steps[1]", "more than once")]
    [InlineData("""[{"Name": "C", "Type": "Condition", "Arguments": {"Conditions": [{"Type": "Bigger", "LeftValue": 1, "RightValue": 2}]}}]""", "Conditions[0]", "Bigger")]
    [InlineData("""[{"Name": "R", "Type": "RegisterModel", "CacheConfig": {"Enabled": true}, "Arguments": {}}]""", "Steps[0]", "CacheConfig")]
    public void Bad_definitions_name_the_place_of_the_problem(string steps, string place, string detail)
    {
        var message = Error(Definition(steps));
        Assert.Contains(place, message, StringComparison.Ordinal);
        Assert.Contains(detail, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"Name": "N", "Type": "Integer", "DefaultValue": 1.5}]""", "Integer")]
    [InlineData("""[{"Name": "N", "Type": "Float", "DefaultValue": "high"}]""", "Float")]
    [InlineData("""[{"Name": "N", "Type": "Boolean", "DefaultValue": "maybe"}]""", "Boolean")]
    [InlineData("""[{"Name": "N", "Type": "Decimal"}]""", "Decimal")]
    [InlineData("""[{"Name": "N", "Type": "String", "DefaultValue": "c", "EnumValues": ["a", "b"]}]""", "allows")]
    public void Parameter_defaults_must_have_the_declared_type(string parameters, string detail)
    {
        var message = Error(Definition($"[{Train}]", parameters));
        Assert.Contains("Parameters[0]", message, StringComparison.Ordinal);
        Assert.Contains(detail, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overrides_are_parsed_to_the_parameter_type_and_unknown_ones_rejected()
    {
        var definition = DefinitionParser.Parse(Definition($"[{Train}]", """[{"Name": "N", "Type": "Integer", "DefaultValue": 3}, {"Name": "F", "Type": "Float"}, {"Name": "B", "Type": "Boolean", "DefaultValue": false}]"""));
        var values = ParameterValues.Resolve(definition, [("F", "0.25"), ("B", "TRUE")]);
        Assert.Equal(3, values["N"].GetInt64());
        Assert.Equal(0.25, values["F"].GetDouble());
        Assert.True(values["B"].GetBoolean());
        Assert.Contains("no default value", Assert.Throws<PipelineDefinitionException>(() => ParameterValues.Resolve(definition, [])).Message, StringComparison.Ordinal);
        Assert.Contains("'Q' is not a parameter", Assert.Throws<PipelineDefinitionException>(() => ParameterValues.Resolve(definition, [("F", "1"), ("Q", "1")])).Message, StringComparison.Ordinal);
        Assert.Contains("Integer", Assert.Throws<PipelineDefinitionException>(() => ParameterValues.Resolve(definition, [("F", "1"), ("N", "two")])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_documents_are_rejected_before_anything_else()
    {
        Assert.Contains("not valid JSON", Error("{\"Version\": "), StringComparison.Ordinal);
        Assert.Contains("2020-12-01", Error("""{"Version": "2019-01-01", "Steps": []}"""), StringComparison.Ordinal);
        Assert.Contains("at least one step", Error("""{"Version": "2020-12-01", "Steps": []}"""), StringComparison.Ordinal);
        Assert.Contains("ISO 8601", Error(Definition("""[{"Name": "A", "Type": "Training", "CacheConfig": {"Enabled": true, "ExpireAfter": "30 days"}, "Arguments": {}}]""")), StringComparison.Ordinal);
        Assert.Contains("ExceptionType", Error(Definition("""[{"Name": "A", "Type": "Training", "RetryPolicies": [{"ExceptionType": ["Step.OOPS"]}], "Arguments": {}}]""")), StringComparison.Ordinal);
    }
}
