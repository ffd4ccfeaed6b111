using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;

namespace Kiln.Pipelines.Definition;

/// <summary>Reads a PipelineDefinition document into a <see cref="PipelineDefinition"/>, rejecting what is malformed with the place it is at.</summary>
public static partial class DefinitionParser
{
    [GeneratedRegex(@"^[A-Za-z0-9\-_]{1,64}$")]
    private static partial Regex StepName();

    [GeneratedRegex(@"^[A-Za-z0-9\-_]{1,256}$")]
    private static partial Regex ParameterName();

    public static PipelineDefinition Parse(string json)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PipelineDefinitionException($"PipelineDefinition is not valid JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PipelineDefinitionException("PipelineDefinition must be a JSON object with Version, Parameters and Steps.");
        }

        var version = root.TryGetProperty("Version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : null;
        if (version != PipelineDefinition.SupportedVersion)
        {
            throw new PipelineDefinitionException($"PipelineDefinition.Version must be \"{PipelineDefinition.SupportedVersion}\", not {(version is null ? "missing" : $"\"{version}\"")}.");
        }

        var parameters = new List<ParameterDefinition>();
        foreach (var (item, index) in Items(root, "Parameters", "PipelineDefinition"))
        {
            parameters.Add(ParseParameter(item, $"Parameters[{index}]"));
        }

        var steps = new List<StepDefinition>();
        foreach (var (item, index) in Items(root, "Steps", "PipelineDefinition"))
        {
            ParseStep(item, $"Steps[{index}]", null, false, steps);
        }

        if (steps.Count == 0)
        {
            throw new PipelineDefinitionException("PipelineDefinition.Steps must hold at least one step.");
        }

        return new PipelineDefinition(version, parameters, steps);
    }

    private static IEnumerable<(JsonElement Item, int Index)> Items(JsonElement parent, string name, string place)
    {
        if (parent.ValueKind != JsonValueKind.Object)
        {
            throw new PipelineDefinitionException($"{place} must be a JSON object.");
        }

        if (!parent.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new PipelineDefinitionException($"{place}.{name} must be a list.");
        }

        return list.EnumerateArray().Select((item, index) => (item, index)).ToList();
    }

    private static string RequiredString(JsonElement item, string name, string place)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new PipelineDefinitionException($"{place} must be a JSON object.");
        }

        return item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new PipelineDefinitionException($"{place}.{name} is required and must be a string.");
    }

    private static string? OptionalString(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ParameterDefinition ParseParameter(JsonElement item, string place)
    {
        var name = RequiredString(item, "Name", place);
        if (!ParameterName().IsMatch(name))
        {
            throw new PipelineDefinitionException($"{place}.Name '{name}' may hold only letters, digits, '-' and '_'.");
        }

        var typeName = OptionalString(item, "Type") ?? "String";
        if (!Enum.TryParse<ParameterType>(typeName, ignoreCase: false, out var type) || !Enum.IsDefined(type))
        {
            throw new PipelineDefinitionException($"{place} (parameter '{name}'): Type '{typeName}' is not one of String, Integer, Float, Boolean.");
        }

        JsonElement? defaultValue = item.TryGetProperty("DefaultValue", out var d) && d.ValueKind != JsonValueKind.Null ? d.Clone() : null;
        var enumValues = item.TryGetProperty("EnumValues", out var e) && e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().Select(value => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()).ToList()
            : [];
        var parameter = new ParameterDefinition(name, type, defaultValue, enumValues);
        if (defaultValue is { } given)
        {
            ParameterValues.Coerce(parameter, given, $"{place} (parameter '{name}') DefaultValue");
        }

        return parameter;
    }

    private static void ParseStep(JsonElement item, string place, string? condition, bool onTrue, List<StepDefinition> steps)
    {
        var name = RequiredString(item, "Name", place);
        if (!StepName().IsMatch(name))
        {
            throw new PipelineDefinitionException($"{place}.Name '{name}' must be 1 to 64 letters, digits, '-' or '_'.");
        }

        var type = RequiredString(item, "Type", $"{place} (step '{name}')");
        if (!StepTypes.Supported.Contains(type))
        {
            throw new PipelineDefinitionException(StepTypes.Known.Contains(type)
                ? $"{place} (step '{name}'): step type '{type}' is not supported by Kiln yet; supported types are {string.Join(", ", StepTypes.Supported)}."
                : $"{place} (step '{name}'): '{type}' is not a step type; valid types are {string.Join(", ", StepTypes.Supported)}.");
        }

        var arguments = item.TryGetProperty("Arguments", out var a) ? a.Clone() : JsonDocument.Parse("{}").RootElement.Clone();
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            throw new PipelineDefinitionException($"{place} (step '{name}'): Arguments must be a JSON object.");
        }

        var dependsOn = new List<string>();
        foreach (var (dependency, index) in Items(item, "DependsOn", place))
        {
            dependsOn.Add(dependency.ValueKind == JsonValueKind.String
                ? dependency.GetString()!
                : throw new PipelineDefinitionException($"{place} (step '{name}'): DependsOn[{index}] must be a step name."));
        }

        steps.Add(new StepDefinition
        {
            Name = name,
            Type = type,
            DisplayName = OptionalString(item, "DisplayName"),
            Description = OptionalString(item, "Description"),
            Arguments = arguments,
            DependsOn = dependsOn,
            Cache = ParseCache(item, place, name),
            Retries = Items(item, "RetryPolicies", place).Select(retry => ParseRetry(retry.Item, $"{place}.RetryPolicies[{retry.Index}]")).ToList(),
            PropertyFiles = Items(item, "PropertyFiles", place).Select(file => new PropertyFileDefinition(
                RequiredString(file.Item, "PropertyFileName", $"{place}.PropertyFiles[{file.Index}]"),
                RequiredString(file.Item, "OutputName", $"{place}.PropertyFiles[{file.Index}]"),
                RequiredString(file.Item, "FilePath", $"{place}.PropertyFiles[{file.Index}]"))).ToList(),
            ConditionStep = condition,
            OnTrue = onTrue,
            Place = place,
        });

        if (type == StepTypes.Condition)
        {
            foreach (var (branch, isIf) in new[] { ("IfSteps", true), ("ElseSteps", false) })
            {
                foreach (var (nested, index) in Items(arguments, branch, $"{place}.Arguments"))
                {
                    ParseStep(nested, $"{place}.Arguments.{branch}[{index}]", name, isIf, steps);
                }
            }
        }
    }

    private static CacheConfig? ParseCache(JsonElement item, string place, string name)
    {
        if (!item.TryGetProperty("CacheConfig", out var cache) || cache.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (cache.ValueKind != JsonValueKind.Object)
        {
            throw new PipelineDefinitionException($"{place} (step '{name}'): CacheConfig must be a JSON object with Enabled and ExpireAfter.");
        }

        var enabled = cache.TryGetProperty("Enabled", out var e) && e.ValueKind == JsonValueKind.True;
        TimeSpan? expireAfter = null;
        if (OptionalString(cache, "ExpireAfter") is { } text)
        {
            try
            {
                expireAfter = XmlConvert.ToTimeSpan(text);
            }
            catch (FormatException)
            {
                throw new PipelineDefinitionException($"{place} (step '{name}'): CacheConfig.ExpireAfter '{text}' is not an ISO 8601 duration such as P30D or PT1H.");
            }
        }

        return new CacheConfig(enabled, expireAfter);
    }

    private static RetryPolicy ParseRetry(JsonElement item, string place)
    {
        var types = Items(item, "ExceptionType", place).Select(type => type.Item.ValueKind == JsonValueKind.String
            ? type.Item.GetString()!
            : throw new PipelineDefinitionException($"{place}.ExceptionType[{type.Index}] must be a string.")).ToList();
        if (types.Count == 0)
        {
            throw new PipelineDefinitionException($"{place}.ExceptionType must list the failures to retry (Step.SERVICE_FAULT, Step.THROTTLING, SageMaker.JOB_INTERNAL_ERROR, SageMaker.CAPACITY_ERROR, SageMaker.RESOURCE_LIMIT).");
        }

        foreach (var type in types.Where(type => !StepTypes.RetryableFailures.Contains(type)))
        {
            throw new PipelineDefinitionException($"{place}.ExceptionType '{type}' is not one of {string.Join(", ", StepTypes.RetryableFailures)}.");
        }

        double Number(string name, double fallback)
        {
            if (!item.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
            {
                return fallback;
            }

            return value.TryGetDouble(out var number) && double.IsFinite(number)
                ? number
                : throw new PipelineDefinitionException($"{place}.{name} must be a finite number.");
        }

        var maxAttempts = Number("MaxAttempts", 5);
        var attempts = maxAttempts is >= 1 and < 21 ? (int)maxAttempts : 0;
        return attempts is < 1 or > 20
            ? throw new PipelineDefinitionException($"{place}.MaxAttempts must be between 1 and 20.")
            : new RetryPolicy(types, Number("IntervalSeconds", 1), Number("BackoffRate", 2), attempts);
    }
}

/// <summary>The step types of SageMaker pipelines, and the ones Kiln runs.</summary>
public static class StepTypes
{
    public const string Training = "Training";
    public const string Processing = "Processing";
    public const string Tuning = "Tuning";
    public const string Condition = "Condition";
    public const string RegisterModel = "RegisterModel";
    public const string Model = "Model";
    public const string Transform = "Transform";
    public const string Fail = "Fail";

    public static readonly IReadOnlyList<string> Supported = [Training, Processing, Tuning, Condition, RegisterModel, Model, Transform, Fail];

    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        Training, Processing, Tuning, Condition, RegisterModel, Model, Transform, Fail,
        "Lambda", "Callback", "QualityCheck", "ClarifyCheck", "EMR", "AutoML", "CreateModel", "Endpoint", "EndpointConfig",
    };

    public static readonly IReadOnlySet<string> RetryableFailures = new HashSet<string>(StringComparer.Ordinal)
    {
        "Step.SERVICE_FAULT", "Step.THROTTLING", "SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT",
    };
}
