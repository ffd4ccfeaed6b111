using System.Globalization;
using System.Text.Json;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring;

/// <summary>Reading the fields of Model Monitor's JSON files, every missing or mistyped one a clear input error.</summary>
internal static class Json
{
    public static string RequiredString(JsonElement element, string name, string what) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new MonitoringInputException($"{what} has no string '{name}'.");

    public static double Number(JsonElement element, string name, double? fallback = null)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value))
        {
            if (value.ValueKind == JsonValueKind.Number)
            {
                return value.GetDouble();
            }

            if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        return fallback ?? throw new MonitoringInputException($"The field '{name}' is missing or not a number.");
    }

    public static InferredType Type(JsonElement feature, string what)
    {
        var text = feature.TryGetProperty("inferred_type", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return Enum.TryParse<InferredType>(text, ignoreCase: false, out var type) && Enum.IsDefined(type) && !int.TryParse(text, out _)
            ? type
            : throw new MonitoringInputException($"{what} has the inferred_type '{text}', not Integral, Fractional, String or Unknown.");
    }
}

/// <summary>Numbers as Model Monitor writes them: NaN and infinities as the strings "NaN", "Infinity", "-Infinity".</summary>
internal static class JsonNumbers
{
    public static void Write(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
