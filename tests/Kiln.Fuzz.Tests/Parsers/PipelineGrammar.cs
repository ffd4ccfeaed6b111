using System.Text.Json;
using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>
/// Pipeline definitions: a valid definition (parameters, a training step, a condition with Get, Std:Join and
/// Std:JsonGet, a fail branch) whose slots are each kept or replaced by a random JSON value shaped like the
/// grammar (expression objects, condition objects, property paths, odd numbers); mutated text; huge nesting; noise.
/// </summary>
public static class PipelineGrammar
{
    private static readonly Gen<string> PathText = Gen.Frequency(
        (4, Gen.OneOf("Parameters.Threshold", "Parameters.Input", "Parameters", "Parameters.Missing", "Execution.PipelineExecutionId", "Execution.Nope", "Execution",
            "Steps.Train", "Steps.Train.FinalMetricDataList['auc'].Value", "Steps.Train.FinalMetricDataList[0].Value", "Steps.Train.FinalMetricDataList[99999999999]",
            "Steps.Train.FinalMetricDataList['auc'", "Steps.Train.X[\"k\"]", "Steps.Nope.X", "Steps.Evaluate.PropertyFiles.Report", "Steps..X", "Steps.Train.", ".", "", "[0]", "a[]",
            "metrics.auc", "Steps.Train.ModelArtifacts.S3ModelArtifacts")),
        (1, Mutations.MutateMany(Gen.OneOf("Steps.Train.FinalMetricDataList['auc'].Value", "Parameters.Threshold"))));

    private static readonly Gen<string> Key = Gen.OneOf(
        "Get", "Std:Join", "Std:JsonGet", "Type", "Conditions", "Values", "On", "Path", "PropertyFile", "Expression", "LeftValue", "RightValue", "QueryValue",
        "Name", "Arguments", "IfSteps", "ElseSteps", "DependsOn", "ErrorMessage", "MaxAttempts", "ExceptionType", "Enabled", "ExpireAfter");

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (3, PathText.Select(JsonString)),
        (2, Gen.OneOf("null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "1e10", "99999999999999999999", "0.5", "\"\"", "\"Equals\"", "\"Or\"", "\"Not\"", "\"In\"",
            "\"GreaterThan\"", "\"Step.SERVICE_FAULT\"", "\"P30D\"", "\"PT\"", "\"Training\"", "\"Condition\"", "\"Fail\"", "\"Lambda\"", "\"2020-12-01\"")),
        (1, Mutations.Noise.Select(JsonString)));

    public static readonly Gen<string> Value = Gen.Recursive<string>((depth, inner) => Gen.Frequency(
        (4, Scalar),
        (depth < 4 ? 2 : 0, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
        (depth < 4 ? 3 : 0, Gen.Select(Key, inner, Key, inner, Gen.Bool, (k1, v1, k2, v2, two) => two ? $"{{{JsonString(k1)}:{v1},{JsonString(k2)}:{v2}}}" : $"{{{JsonString(k1)}:{v1}}}"))));

    private static readonly string[] Defaults =
    [
        "\"2020-12-01\"",                                                   // 0 Version
        "\"Threshold\"",                                                     // 1 parameter name
        "\"Float\"",                                                         // 2 parameter type
        "0.5",                                                               // 3 default value
        "\"Train\"",                                                         // 4 step name
        "\"Training\"",                                                      // 5 step type
        """{"AlgorithmSpecification":{"TrainingImage":"xgboost","TrainingInputMode":"File"},"HyperParameters":{"eta":{"Get":"Parameters.Threshold"}}}""", // 6 training args
        "[]",                                                                // 7 DependsOn
        """[{"ExceptionType":["Step.SERVICE_FAULT"],"MaxAttempts":3,"IntervalSeconds":1,"BackoffRate":2}]""", // 8 retries
        """{"Enabled":true,"ExpireAfter":"P30D"}""",                         // 9 cache
        "\"GreaterThanOrEqualTo\"",                                          // 10 condition type
        """{"Get":"Steps.Train.FinalMetricDataList['auc'].Value"}""",        // 11 left
        """{"Get":"Parameters.Threshold"}""",                                 // 12 right
        """{"Type":"Not","Expression":{"Type":"In","QueryValue":{"Get":"Parameters.Input"},"Values":["a","b"]}}""", // 13 second condition
        """{"Std:Join":{"On":",","Values":["failed",{"Get":"Execution.PipelineExecutionId"},{"Get":"Parameters.Threshold"}]}}""", // 14 error message
        "\"Check\"",                                                         // 15 condition step name
        """["Train"]""",                                                     // 16 condition depends on
        "[]",                                                                // 17 else steps
    ];

    private const string Skeleton = """
        {"Version":@0@,"Parameters":[{"Name":@1@,"Type":@2@,"DefaultValue":@3@},{"Name":"Input","Type":"String","DefaultValue":"s3://b/k"}],
         "Steps":[{"Name":@4@,"Type":@5@,"Arguments":@6@,"DependsOn":@7@,"RetryPolicies":@8@,"CacheConfig":@9@},
                  {"Name":@15@,"Type":"Condition","DependsOn":@16@,"Arguments":{"Conditions":[{"Type":@10@,"LeftValue":@11@,"RightValue":@12@},@13@],
                   "IfSteps":[{"Name":"Stop","Type":"Fail","Arguments":{"ErrorMessage":@14@}}],"ElseSteps":@17@}}]}
        """;

    private static string Template(IReadOnlyList<string> slot) =>
        System.Text.RegularExpressions.Regex.Replace(Skeleton, "@([0-9]+)@", match => slot[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]);

    public static readonly string Valid = Template(Defaults);

    /// <summary>Each slot kept (usually) or replaced by a random value.</summary>
    public static readonly Gen<string> Slotted = Gen.Select(Gen.Int[0, 3].Array[Defaults.Length], Value.Array[Defaults.Length], (keep, values) =>
        Template(Defaults.Select((d, i) => keep[i] > 0 ? d : values[i]).ToList()));

    public static readonly Gen<string> Any = Gen.Frequency(
        (6, Slotted),
        (2, Mutations.MutateMany(Slotted)),
        (1, Value),
        (1, Mutations.Noise),
        (1, Mutations.Huge(("[", "]"), ("{\"Get\":", "}"), ("{\"a\":[", "]}"), ("\"", ""))));

    public static string JsonString(string text) => JsonSerializer.Serialize(text);
}
