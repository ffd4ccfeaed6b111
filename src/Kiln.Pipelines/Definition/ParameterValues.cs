using System.Globalization;
using System.Text.Json;

namespace Kiln.Pipelines.Definition;

/// <summary>Parameter values checked against their declared type: defaults from the definition, overrides from StartPipelineExecution.</summary>
public static class ParameterValues
{
    /// <summary>The value as a JSON value of the parameter's type (overrides arrive as strings and are parsed).</summary>
    public static JsonElement Coerce(ParameterDefinition parameter, JsonElement value, string place)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        JsonElement typed = parameter.Type switch
        {
            ParameterType.String => value.ValueKind == JsonValueKind.String ? value : Fail(parameter, text, place),
            ParameterType.Integer => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonSerializer.SerializeToElement(integer)
                : Fail(parameter, text, place),
            ParameterType.Float => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                ? JsonSerializer.SerializeToElement(number)
                : Fail(parameter, text, place),
            ParameterType.Boolean => text.ToLowerInvariant() switch
            {
                "true" => JsonSerializer.SerializeToElement(true),
                "false" => JsonSerializer.SerializeToElement(false),
                _ => Fail(parameter, text, place),
            },
            _ => Fail(parameter, text, place),
        };
        if (parameter.EnumValues.Count > 0 && !parameter.EnumValues.Contains(typed.ValueKind == JsonValueKind.String ? typed.GetString()! : typed.GetRawText()))
        {
            throw new PipelineDefinitionException($"{place}: '{text}' is not one of the values parameter '{parameter.Name}' allows ({string.Join(", ", parameter.EnumValues)}).");
        }

        return typed;
    }

    /// <summary>Every parameter's value for a new execution: overrides where given, defaults elsewhere.</summary>
    public static Dictionary<string, JsonElement> Resolve(PipelineDefinition definition, IReadOnlyList<(string Name, string Value)> overrides)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (name, value) in overrides)
        {
            var parameter = definition.Parameter(name)
                ?? throw new PipelineDefinitionException($"PipelineParameters: '{name}' is not a parameter of the pipeline; its parameters are {(definition.Parameters.Count == 0 ? "none" : string.Join(", ", definition.Parameters.Select(p => p.Name)))}.");
            if (values.ContainsKey(name))
            {
                throw new PipelineDefinitionException($"PipelineParameters: '{name}' is given more than once.");
            }

            values[name] = Coerce(parameter, JsonSerializer.SerializeToElement(value), $"PipelineParameters '{name}'");
        }

        foreach (var parameter in definition.Parameters.Where(parameter => !values.ContainsKey(parameter.Name)))
        {
            values[parameter.Name] = parameter.DefaultValue is { } given
                ? Coerce(parameter, given, $"parameter '{parameter.Name}' DefaultValue")
                : throw new PipelineDefinitionException($"PipelineParameters: parameter '{parameter.Name}' has no default value, so the execution must give one.");
        }

        return values;
    }

    private static JsonElement Fail(ParameterDefinition parameter, string text, string place) =>
        throw new PipelineDefinitionException($"{place}: '{text}' is not a valid {parameter.Type} value for parameter '{parameter.Name}'.");
}
