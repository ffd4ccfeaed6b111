using System.Globalization;
using Kiln.Core.Training;

namespace Kiln.Training.Algorithms;

/// <summary>One hyperparameter of a built-in algorithm: its SageMaker name, type, range and default.</summary>
public abstract record HyperParameter(string Name, bool Required)
{
    /// <summary>Checks a value as SageMaker sends it (always a string); returns the message when it is refused.</summary>
    public abstract string? Check(string value);
}

public sealed record IntParameter(string Name, long Min, long Max, long? Default, bool Required = false) : HyperParameter(Name, Required)
{
    public override string? Check(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= Min && number <= Max
            ? null
            : $"Hyperparameter '{Name}' must be an integer in [{Min}, {(Max == long.MaxValue ? "∞" : Max.ToString(CultureInfo.InvariantCulture))}], got '{value}'.";
}

public sealed record FloatParameter(string Name, double Min, double Max, double? Default, bool Required = false, bool MinExclusive = false) : HyperParameter(Name, Required)
{
    public override string? Check(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number)
        && (MinExclusive ? number > Min : number >= Min) && number <= Max
            ? null
            : $"Hyperparameter '{Name}' must be a number in {(MinExclusive ? "(" : "[")}{Min.ToString(CultureInfo.InvariantCulture)}, {(double.IsPositiveInfinity(Max) ? "∞" : Max.ToString(CultureInfo.InvariantCulture))}], got '{value}'.";
}

public sealed record ChoiceParameter(string Name, IReadOnlyList<string> Values, string? Default, bool Required = false, bool Multiple = false) : HyperParameter(Name, Required)
{
    public override string? Check(string value)
    {
        var items = Multiple ? value.Trim('[', ']').Split(',').Select(item => item.Trim().Trim('"', '\'')).ToArray() : [value];
        var bad = items.FirstOrDefault(item => !Values.Contains(item, StringComparer.Ordinal));
        return bad is null ? null : $"Hyperparameter '{Name}' must be {(Multiple ? "a list of" : "one of")} [{string.Join(", ", Values)}], got '{value}'.";
    }
}

/// <summary>A number, or "auto" to let the algorithm choose.</summary>
public sealed record FloatOrAutoParameter(string Name, double Min, double Max) : HyperParameter(Name, false)
{
    public override string? Check(string value) =>
        value == "auto" || (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= Min && number <= Max)
            ? null
            : $"Hyperparameter '{Name}' must be 'auto' or a number in [{Min.ToString(CultureInfo.InvariantCulture)}, {(double.IsPositiveInfinity(Max) ? "∞" : Max.ToString(CultureInfo.InvariantCulture))}], got '{value}'.";
}

/// <summary>Free text (e.g. a column name).</summary>
public sealed record TextParameter(string Name) : HyperParameter(Name, false)
{
    public override string? Check(string value) => value.Length == 0 ? $"Hyperparameter '{Name}' must not be empty." : null;
}

public sealed record BoolParameter(string Name, bool? Default) : HyperParameter(Name, false)
{
    public override string? Check(string value) =>
        value.ToLowerInvariant() is "true" or "false" or "1" or "0" ? null : $"Hyperparameter '{Name}' must be true or false, got '{value}'.";
}

/// <summary>An algorithm's hyperparameters: checks a job's values and reads them back typed, defaults applied.</summary>
public sealed class HyperParameterSet(string algorithm, IReadOnlyList<HyperParameter> parameters)
{
    public IReadOnlyList<HyperParameter> Parameters { get; } = parameters;

    /// <summary>
    /// Refuses unknown names, missing required ones and values of the wrong type or out of range, all in one
    /// message. Names starting with <c>sagemaker_</c> are the SDK's own and are ignored, as SageMaker does.
    /// </summary>
    public void Validate(IReadOnlyDictionary<string, string> values)
    {
        var errors = new List<string>();
        var unknown = values.Keys.Where(name => !name.StartsWith("sagemaker_", StringComparison.Ordinal) && Parameters.All(p => p.Name != name)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            errors.Add($"Hyperparameter(s) not recognized by {algorithm}: {string.Join(", ", unknown.Select(name => $"'{name}'"))}.");
        }

        foreach (var parameter in Parameters)
        {
            if (values.TryGetValue(parameter.Name, out var value))
            {
                if (parameter.Check(value) is { } message)
                {
                    errors.Add(message);
                }
            }
            else if (parameter.Required)
            {
                errors.Add($"Hyperparameter '{parameter.Name}' is required by {algorithm}.");
            }
        }

        if (errors.Count > 0)
        {
            throw new TrainingValidationException(string.Join(" ", errors));
        }
    }

    public HyperParameterValues Read(IReadOnlyDictionary<string, string> values) => new(this, values);

    internal HyperParameter Get(string name) => Parameters.First(p => p.Name == name);
}

/// <summary>A job's hyperparameters, typed, with the algorithm's defaults for what the job left out.</summary>
public sealed class HyperParameterValues(HyperParameterSet set, IReadOnlyDictionary<string, string> values)
{
    public bool Has(string name) => values.ContainsKey(name);

    public long Int(string name) => values.TryGetValue(name, out var text)
        ? long.Parse(text, CultureInfo.InvariantCulture)
        : ((IntParameter)set.Get(name)).Default ?? throw new InvalidOperationException($"{name} has no default");

    public double Float(string name) => values.TryGetValue(name, out var text)
        ? double.Parse(text, CultureInfo.InvariantCulture)
        : (set.Get(name) as FloatParameter)?.Default ?? throw new InvalidOperationException($"{name} has no default");

    public string Choice(string name) => values.TryGetValue(name, out var text)
        ? text
        : ((ChoiceParameter)set.Get(name)).Default ?? throw new InvalidOperationException($"{name} has no default");

    public string? Text(string name) => values.GetValueOrDefault(name);

    public bool Bool(string name) => values.TryGetValue(name, out var text)
        ? text.ToLowerInvariant() is "true" or "1"
        : ((BoolParameter)set.Get(name)).Default ?? false;
}
