using System.Globalization;
using System.Text.Json;

namespace Kiln.Pipelines.Expressions;

/// <summary>The conditions of a Condition step: Equals, GreaterThan(OrEqualTo), LessThan(OrEqualTo), In, Not, Or; a step's list is and-ed.</summary>
public static class Conditions
{
    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "In", "Not", "Or",
    };

    /// <summary>Checks the shape of a condition (its type and operands), naming the place of what is wrong.</summary>
    public static void Check(JsonElement condition, string place)
    {
        var type = condition.ValueKind == JsonValueKind.Object && condition.TryGetProperty("Type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        if (type is null || !Types.Contains(type))
        {
            throw new Definition.PipelineDefinitionException($"{place}: condition Type {(type is null ? "is missing" : $"'{type}' is not one of {string.Join(", ", Types)}")}.");
        }

        void Require(string member)
        {
            if (!condition.TryGetProperty(member, out _))
            {
                throw new Definition.PipelineDefinitionException($"{place}: a {type} condition needs {member}.");
            }
        }

        switch (type)
        {
            case "In":
                Require("QueryValue");
                Require("Values");
                break;
            case "Or" when condition.TryGetProperty("Conditions", out var list) && list.ValueKind != JsonValueKind.Array:
                throw new Definition.PipelineDefinitionException($"{place}: an Or condition's Conditions must be a list of conditions.");
            case "Not":
                Require("Expression");
                Check(condition.GetProperty("Expression"), $"{place}.Expression");
                break;
            case "Or":
                Require("Conditions");
                var index = 0;
                foreach (var inner in condition.GetProperty("Conditions").EnumerateArray())
                {
                    Check(inner, $"{place}.Conditions[{index++}]");
                }

                break;
            default:
                Require("LeftValue");
                Require("RightValue");
                break;
        }
    }

    public static bool Evaluate(JsonElement condition, IEvaluationScope scope)
    {
        var type = condition.GetProperty("Type").GetString();
        JsonElement Value(string member) => Evaluator.Evaluate(condition.GetProperty(member), scope);
        return type switch
        {
            "Not" => !Evaluate(condition.GetProperty("Expression"), scope),
            "Or" => condition.GetProperty("Conditions").EnumerateArray().Any(inner => Evaluate(inner, scope)),
            "In" => Value("Values") is { ValueKind: JsonValueKind.Array } values
                ? values.EnumerateArray().Any(candidate => Compare(Value("QueryValue"), candidate) == 0)
                : throw new EvaluationException("The Values of an In condition must be a list."),
            "Equals" => Compare(Value("LeftValue"), Value("RightValue")) == 0,
            "GreaterThan" => Compare(Value("LeftValue"), Value("RightValue")) > 0,
            "GreaterThanOrEqualTo" => Compare(Value("LeftValue"), Value("RightValue")) >= 0,
            "LessThan" => Compare(Value("LeftValue"), Value("RightValue")) < 0,
            "LessThanOrEqualTo" => Compare(Value("LeftValue"), Value("RightValue")) <= 0,
            _ => throw new EvaluationException($"Unknown condition type {type}."),
        };
    }

    /// <summary>Numbers compare as numbers (a numeric string counts as a number), everything else as text.</summary>
    private static int Compare(JsonElement left, JsonElement right)
    {
        if (Number(left) is { } a && Number(right) is { } b)
        {
            return a.CompareTo(b);
        }

        return string.CompareOrdinal(Text(left), Text(right));
    }

    private static double? Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };
}
