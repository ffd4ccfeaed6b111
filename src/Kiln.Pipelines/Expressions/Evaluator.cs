using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Pipelines;

namespace Kiln.Pipelines.Expressions;

/// <summary>What expressions read while an execution runs.</summary>
public interface IEvaluationScope
{
    JsonElement Parameter(string name);

    /// <summary>Execution.PipelineExecutionId, Execution.PipelineExecutionArn, Execution.StartDateTime, Execution.CurrentDateTime, Execution.PipelineName, Execution.PipelineArn.</summary>
    JsonElement? Execution(string variable);

    /// <summary>A finished step's properties (the describe output of what it made).</summary>
    JsonElement StepProperties(string step);

    /// <summary>A property file a finished step wrote, parsed.</summary>
    JsonElement PropertyFile(string step, string file);
}

/// <summary>A value that can't be worked out while the execution runs (a missing property, a file that isn't JSON).</summary>
public sealed class EvaluationException(string message) : Exception(message);

/// <summary>Resolves the expressions in a value against an execution: what a step's arguments become when it starts.</summary>
public static class Evaluator
{
    public static JsonElement Evaluate(JsonElement value, IEvaluationScope scope) =>
        JsonSerializer.SerializeToElement(Resolve(value, scope));

    private static JsonNode? Resolve(JsonElement value, IEvaluationScope scope)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (Expression.IsSingle(value, Expression.Get, out var get))
                {
                    return JsonNode.Parse(Lookup(get.GetString()!, scope).GetRawText());
                }

                if (Expression.IsSingle(value, Expression.Join, out var join))
                {
                    var on = join.TryGetProperty("On", out var separator) && separator.ValueKind == JsonValueKind.String ? separator.GetString()! : "";
                    var parts = join.TryGetProperty("Values", out var values) && values.ValueKind == JsonValueKind.Array
                        ? values.EnumerateArray().Select(item => Text(Resolve(item, scope)))
                        : [];
                    return JsonValue.Create(string.Join(on, parts));
                }

                if (Expression.IsSingle(value, Expression.JsonGet, out var jsonGet))
                {
                    var reference = jsonGet.GetProperty("PropertyFile");
                    var (step, file) = PropertyFileOf(reference);
                    var path = jsonGet.GetProperty("Path").GetString()!;
                    var document = scope.PropertyFile(step, file);
                    return JsonNode.Parse(Navigate(document, PropertyPath.Parse(path), $"Std:JsonGet of '{path}' in property file {file} of step {step}").GetRawText());
                }

                var result = new JsonObject();
                foreach (var property in value.EnumerateObject())
                {
                    result[property.Name] = Resolve(property.Value, scope);
                }

                return result;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in value.EnumerateArray())
                {
                    array.Add(Resolve(item, scope));
                }

                return array;
            default:
                return JsonNode.Parse(value.GetRawText());
        }
    }

    /// <summary>The step and file a JsonGet's PropertyFile names: <c>{"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}</c>.</summary>
    internal static (string Step, string File) PropertyFileOf(JsonElement reference)
    {
        var text = reference.ValueKind == JsonValueKind.Object && Expression.IsSingle(reference, Expression.Get, out var get) ? get.GetString() : null;
        var parts = text?.Split('.') ?? [];
        return parts.Length == 4 && parts[0] == "Steps" && parts[2] == "PropertyFiles"
            ? (parts[1], parts[3])
            : throw new EvaluationException($"Std:JsonGet PropertyFile must be {{\"Get\": \"Steps.<step>.PropertyFiles.<file>\"}}, not {reference.GetRawText()}.");
    }

    private static JsonElement Lookup(string reference, IEvaluationScope scope)
    {
        var segments = PropertyPath.Parse(reference);
        switch (segments[0].Member)
        {
            case "Parameters":
                return scope.Parameter(segments[1].Member);
            case "Execution":
                return scope.Execution(segments[1].Member) ?? throw new EvaluationException($"'{reference}' is not an execution variable.");
            case "Steps":
                var properties = scope.StepProperties(segments[1].Member);
                return Navigate(properties, segments.Skip(2).ToList(), reference);
            default:
                throw new EvaluationException($"'{reference}' must start with Parameters, Execution or Steps.");
        }
    }

    /// <summary>Follows a path through a JSON value; a key on a list picks the element whose <c>…Name</c> member has that value.</summary>
    public static JsonElement Navigate(JsonElement value, IReadOnlyList<PropertyPathSegment> path, string what)
    {
        var current = value;
        foreach (var segment in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment.Member, out var next))
            {
                throw new EvaluationException($"'{what}' could not be resolved: there is no {segment.Member}.");
            }

            current = next;
            foreach (var index in segment.Indexes)
            {
                current = (current.ValueKind, index.Key) switch
                {
                    (JsonValueKind.Array, null) when index.Position < current.GetArrayLength() => current[index.Position!.Value],
                    (JsonValueKind.Array, { } key) => current.EnumerateArray().FirstOrDefault(item => NamedBy(item, key)) is { ValueKind: not JsonValueKind.Undefined } found
                        ? found
                        : throw new EvaluationException($"'{what}' could not be resolved: {segment.Member} has no entry named '{key}'."),
                    (JsonValueKind.Object, { } key) when current.TryGetProperty(key, out var entry) => entry,
                    _ => throw new EvaluationException($"'{what}' could not be resolved at {segment.Member}[{index.Key ?? index.Position?.ToString(CultureInfo.InvariantCulture)}]."),
                };
            }
        }

        return current;
    }

    private static bool NamedBy(JsonElement item, string key) =>
        item.ValueKind == JsonValueKind.Object
        && item.EnumerateObject().Any(property => property.Name.EndsWith("Name", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() == key);

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag ? "true" : "false",
        _ => node.ToJsonString(),
    };
}
