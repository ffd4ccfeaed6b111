using System.Text.Json;
using Kiln.Pipelines.Expressions;

namespace Kiln.Pipelines.Tests;

public sealed class ExpressionTests
{
    private sealed class Scope : IEvaluationScope
    {
        private static readonly JsonElement Properties = JsonDocument.Parse("""
            {"ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}}, {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}}]},
             "FinalMetricDataList": [{"MetricName": "validation:auc", "Value": 0.91}], "HyperParameters": {"eta": "0.1"}}
            """).RootElement;

        public JsonElement Parameter(string name) => name switch
        {
            "Threshold" => JsonSerializer.SerializeToElement(0.8),
            "Bucket" => JsonSerializer.SerializeToElement("b"),
            _ => throw new EvaluationException(name),
        };

        public JsonElement? Execution(string variable) => variable == "PipelineExecutionId" ? JsonSerializer.SerializeToElement("abc123") : null;

        public JsonElement StepProperties(string step) => step == "Split" ? Properties : throw new EvaluationException($"Steps.{step} has not succeeded");

        public JsonElement PropertyFile(string step, string file) => JsonDocument.Parse("""{"metrics": {"auc": {"value": 0.83}}, "list": [1, 2, 3]}""").RootElement;
    }

    private static JsonElement Evaluate(string json) => Evaluator.Evaluate(JsonDocument.Parse(json).RootElement, new Scope());

    [Fact]
    public void References_resolve_inside_any_value()
    {
        var resolved = Evaluate("""
            {"S3Uri": {"Get": "Steps.Split.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"},
             "Second": {"Get": "Steps.Split.ProcessingOutputConfig.Outputs[1].OutputName"},
             "Auc": {"Get": "Steps.Split.FinalMetricDataList['validation:auc'].Value"},
             "Eta": {"Get": "Steps.Split.HyperParameters['eta']"},
             "Path": {"Std:Join": {"On": "/", "Values": ["s3:/", {"Get": "Parameters.Bucket"}, {"Get": "Execution.PipelineExecutionId"}, 7]}},
             "FromFile": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "metrics.auc.value"}},
             "Nested": [{"Get": "Parameters.Threshold"}, "literal"]}
            """);
        Assert.Equal("s3://b/test", resolved.GetProperty("S3Uri").GetString());
        Assert.Equal("test", resolved.GetProperty("Second").GetString());
        Assert.Equal(0.91, resolved.GetProperty("Auc").GetDouble());
        Assert.Equal("0.1", resolved.GetProperty("Eta").GetString());
        Assert.Equal("s3://b/abc123/7", resolved.GetProperty("Path").GetString());
        Assert.Equal(0.83, resolved.GetProperty("FromFile").GetDouble());
        Assert.Equal(0.8, resolved.GetProperty("Nested")[0].GetDouble());
    }

    [Theory]
    [InlineData("""{"Get": "Steps.Split.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri"}""", "no entry named 'validation'")]
    [InlineData("""{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}""", "has not succeeded")]
    [InlineData("""{"Get": "Steps.Split.Nothing"}""", "there is no Nothing")]
    public void What_is_not_there_fails_with_the_reference(string json, string detail) =>
        Assert.Contains(detail, Assert.Throws<EvaluationException>(() => Evaluate(json)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.E.PropertyFiles.R"}, "Path": "metrics.auc.value"}}, "RightValue": {"Get": "Parameters.Threshold"}}""", true)]
    [InlineData("""{"Type": "LessThan", "LeftValue": "10", "RightValue": 9}""", false)]
    [InlineData("""{"Type": "Equals", "LeftValue": {"Get": "Parameters.Bucket"}, "RightValue": "b"}""", true)]
    [InlineData("""{"Type": "In", "QueryValue": 2, "Values": [1, 2, 3]}""", true)]
    [InlineData("""{"Type": "Not", "Expression": {"Type": "In", "QueryValue": "x", "Values": ["a", "b"]}}""", true)]
    [InlineData("""{"Type": "Or", "Conditions": [{"Type": "GreaterThan", "LeftValue": 1, "RightValue": 2}, {"Type": "Equals", "LeftValue": "a", "RightValue": "b"}]}""", false)]
    public void Conditions_compare_numbers_as_numbers_and_text_as_text(string json, bool expected)
    {
        var condition = JsonDocument.Parse(json).RootElement;
        Conditions.Check(condition, "c");
        Assert.Equal(expected, Conditions.Evaluate(condition, new Scope()));
    }

    [Theory]
    [InlineData("Steps.A.B[0]['x'].C", "Steps.A.B[0]['x'].C")]
    [InlineData("Steps.Train.FinalMetricDataList['validation:auc'].Value", "Steps.Train.FinalMetricDataList['validation:auc'].Value")]
    public void Property_paths_round_trip(string path, string formatted) =>
        Assert.Equal(formatted, PropertyPath.Format(PropertyPath.Parse(path)));

    [Theory]
    [InlineData("Steps..A")]
    [InlineData("Steps.A[")]
    [InlineData("Steps.A[x]")]
    [InlineData("Steps.A.")]
    public void Malformed_paths_are_format_errors(string path) => Assert.Throws<FormatException>(() => PropertyPath.Parse(path));

    [Theory]
    [InlineData("TrainModel", "ab12cd34ef56", 1, 63, "trainmodel-ab12cd34ef56")]
    [InlineData("Train_Model.v2", "ab12cd34ef56", 3, 63, "train-model-v2-ab12cd34ef56-3")]
    [InlineData("AVeryLongTuningStepNameIndeed", "ab12cd34ef56", 1, 32, "averylongtuningstep-ab12cd34ef56")]
    public void Step_jobs_are_named_after_the_step_and_execution_in_lower_case(string step, string execution, int attempt, int max, string expected)
    {
        var name = PipelineExecutionRunner.ResourceName(step, execution, attempt, max);
        Assert.Equal(expected, name);
        Assert.True(name.Length <= max);
    }
}
