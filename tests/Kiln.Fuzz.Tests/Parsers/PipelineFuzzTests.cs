using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Fuzz.Tests.Infrastructure;
using Kiln.Pipelines.Definition;
using Kiln.Pipelines.Expressions;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>
/// Pipeline definitions parse and validate or are refused with <see cref="PipelineDefinitionException"/> (the
/// API's ValidationException); the expressions and conditions of every accepted definition evaluate or fail with
/// <see cref="EvaluationException"/> (the step's failure reason), whatever the values they read.
/// </summary>
public class PipelineFuzzTests
{
    /// <summary>Knows the training step's describe output as far as the definitions use it.</summary>
    internal sealed class Operations : IPipelineOperations
    {
        public Task<JsonElement> InvokeAsync(string operation, JsonElement request, string caller, CancellationToken ct = default) =>
            throw new NotSupportedException("Validation does not run operations.");

        public string? CheckPropertyPath(string describeOperation, IReadOnlyList<PropertyPathSegment> path) =>
            path.Count > 0 && path[0].Member is "FinalMetricDataList" or "ModelArtifacts" or "TrainingJobName" or "X" ? null : $"no property {PropertyPath.Format(path)}";
    }

    /// <summary>Answers every read with a value picked by the name, including ones evaluation must refuse (missing, odd shapes).</summary>
    private sealed class Scope(JsonElement values) : IEvaluationScope
    {
        public JsonElement Parameter(string name) => values.TryGetProperty(name, out var value) ? value : throw new EvaluationException($"no parameter {name}");

        public JsonElement? Execution(string variable) => variable == "PipelineExecutionId" ? values.GetProperty("Id") : null;

        public JsonElement StepProperties(string step) => values;

        public JsonElement PropertyFile(string step, string file) => values;
    }

    private static readonly JsonElement[] Scopes =
    [
        JsonDocument.Parse("""{"Threshold":0.5,"Input":"s3://b/k","Id":"exec-1","FinalMetricDataList":[{"MetricName":"auc","Value":0.9}],"X":{"k":[1,2]},"ModelArtifacts":{"S3ModelArtifacts":"s3://m"}}""").RootElement,
        JsonDocument.Parse("""{"Threshold":"not a number","Input":null,"Id":1e308,"FinalMetricDataList":{"auc":"x"},"X":[],"ModelArtifacts":[{"Name":"S3ModelArtifacts"}]}""").RootElement,
        JsonDocument.Parse("""{"Threshold":[1,2],"Input":{"a":{"b":{}}},"Id":true,"FinalMetricDataList":[[{"MetricName":"auc"}]],"X":"k"}""").RootElement,
    ];

    [Fact]
    public void The_valid_template_is_accepted()
    {
        var definition = DefinitionValidator.ParseAndValidate(PipelineGrammar.Valid, new Operations());
        Assert.Equal(new[] { "Train", "Check", "Stop" }, definition.Steps.Select(step => step.Name).ToArray());
    }

    /// <summary>Found by the fuzzer (seed 9MuSrf1NMEK1): an empty reference reached the validator as a path of no segments.</summary>
    [Fact]
    public void An_empty_reference_is_refused_as_a_definition_error()
    {
        var json = PipelineGrammar.Valid.Replace("\"Get\":\"Parameters.Input\"", "\"Get\":\"\"", StringComparison.Ordinal);
        Assert.NotEqual(PipelineGrammar.Valid, json);
        var error = Assert.Throws<PipelineDefinitionException>(() => DefinitionValidator.ParseAndValidate(json, new Operations()));
        Assert.Contains("cannot be empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Definitions_validate_or_are_refused_with_a_definition_error() =>
        Fuzzing.Property(PipelineGrammar.Any, 1200, json => json.Length, json => DefinitionValidator.ParseAndValidate(json, new Operations()), e => e is PipelineDefinitionException);

    [Fact]
    public void Accepted_definitions_evaluate_or_fail_with_an_evaluation_error() =>
        Fuzzing.Property(PipelineGrammar.Slotted, 1200, json => json.Length, Evaluate, e => e is EvaluationException or PipelineDefinitionException);

    [Fact]
    public void Property_paths_parse_or_are_refused_as_malformed() =>
        Fuzzing.Property(Infrastructure.Mutations.MutateMany(CsCheck.Gen.OneOf("Steps.Train.FinalMetricDataList['auc'].Value", "a[0][1].b[\"k\"]", "Parameters.X")), 2000,
            path => path.Length, path => PropertyPath.Parse(path), e => e is FormatException);

    /// <summary>What the runner does with a stored definition: each step's arguments and each condition, against each scope.</summary>
    private static void Evaluate(string json)
    {
        var definition = DefinitionValidator.ParseAndValidate(json, new Operations());
        foreach (var values in Scopes)
        {
            var scope = new Scope(values);
            foreach (var step in definition.Steps)
            {
                Attempt(() => Evaluator.Evaluate(step.Arguments, scope));
                if (step.Type == StepTypes.Condition)
                {
                    foreach (var condition in step.Arguments.GetProperty("Conditions").EnumerateArray())
                    {
                        Attempt(() => Conditions.Evaluate(condition, scope));
                    }
                }
            }
        }
    }

    private static void Attempt(Action evaluate)
    {
        try
        {
            evaluate();
        }
        catch (EvaluationException)
        {
        }
    }
}
