using System.Text.Json;

namespace Kiln.Pipelines.Expressions;

/// <summary>A reference an expression makes: a parameter, an execution variable, a step's property, or a step's property file.</summary>
public sealed record Reference(string Get, string Place, bool InJsonGet);

/// <summary>
/// The expressions of pipeline definitions, wherever they appear in a value: <c>{"Get": "..."}</c>,
/// <c>{"Std:Join": {"On": ",", "Values": [...]}}</c> and <c>{"Std:JsonGet": {"PropertyFile": ..., "Path": "..."}}</c>.
/// </summary>
public static class Expression
{
    public const string Get = "Get";
    public const string Join = "Std:Join";
    public const string JsonGet = "Std:JsonGet";

    /// <summary>Every reference inside <paramref name="value"/>, with where it is.</summary>
    public static IEnumerable<Reference> References(JsonElement value, string place, bool inJsonGet = false)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (IsSingle(value, Get, out var get))
                {
                    yield return get.ValueKind == JsonValueKind.String
                        ? new Reference(get.GetString()!, place, inJsonGet)
                        : throw new Definition.PipelineDefinitionException($"{place}: Get must name what it gets as a string, such as \"Parameters.InputData\".");
                    yield break;
                }

                if (IsSingle(value, Join, out var join)
                    && (join.ValueKind != JsonValueKind.Object
                        || !join.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Array
                        || (join.TryGetProperty("On", out var on) && on.ValueKind != JsonValueKind.String)))
                {
                    throw new Definition.PipelineDefinitionException($"{place}: Std:Join needs Values, a list, and On, a string.");
                }

                if (IsSingle(value, JsonGet, out var jsonGet))
                {
                    if (jsonGet.ValueKind != JsonValueKind.Object || !jsonGet.TryGetProperty("PropertyFile", out var file) || !jsonGet.TryGetProperty("Path", out var path) || path.ValueKind != JsonValueKind.String)
                    {
                        throw new Definition.PipelineDefinitionException($"{place}: Std:JsonGet needs a PropertyFile ({{\"Get\": \"Steps.<step>.PropertyFiles.<file>\"}}) and a Path.");
                    }

                    foreach (var reference in References(file, $"{place}.Std:JsonGet.PropertyFile", inJsonGet: true))
                    {
                        yield return reference;
                    }

                    yield break;
                }

                foreach (var property in value.EnumerateObject())
                {
                    foreach (var reference in References(property.Value, $"{place}.{property.Name}", inJsonGet))
                    {
                        yield return reference;
                    }
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    foreach (var reference in References(item, $"{place}[{index++}]", inJsonGet))
                    {
                        yield return reference;
                    }
                }

                break;
        }
    }

    internal static bool IsSingle(JsonElement value, string name, out JsonElement inner)
    {
        inner = default;
        using var properties = value.EnumerateObject();
        if (!properties.MoveNext() || properties.Current.Name != name)
        {
            return false;
        }

        inner = properties.Current.Value;
        return !properties.MoveNext();
    }
}
