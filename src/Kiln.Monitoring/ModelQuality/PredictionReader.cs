using System.Globalization;
using System.Text.Json;
using Kiln.Monitoring.Datasets;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>Reads the value an attribute names out of a captured endpointOutput (CSV or JSON).</summary>
internal static class PredictionReader
{
    public static string? Value(CapturedPayload output, string? attribute, string where)
    {
        var text = output.Text.Trim();
        if (output.IsJson || (text.Length > 0 && text[0] is '{' or '['))
        {
            return JsonValue(text, attribute, where);
        }

        var line = text.Split('\n', 2)[0].TrimEnd('\r');
        var cells = line.Split(',');
        var index = Index(attribute, where);
        return index < cells.Length ? cells[index].Trim().Trim('"') : throw new MonitoringInputException($"The CSV output on {where} has no column {index}.");
    }

    private static int Index(string? attribute, string where) =>
        attribute is null ? 0
        : int.TryParse(attribute, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index
        : throw new MonitoringInputException($"The output on {where} is CSV, so the attribute '{attribute}' must be a column index.");

    private static string? JsonValue(string text, string? attribute, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The JSON output on {where} is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var value = document.RootElement;
            if (attribute is null)
            {
                value = value.ValueKind switch
                {
                    JsonValueKind.Array when value.GetArrayLength() > 0 => value[0],
                    JsonValueKind.Object when value.EnumerateObject().Count() == 1 => value.EnumerateObject().First().Value,
                    JsonValueKind.Object or JsonValueKind.Array => throw new MonitoringInputException($"The JSON output on {where} holds several values: name the one to use with an attribute."),
                    _ => value,
                };
            }
            else
            {
                foreach (var part in attribute.Split('.'))
                {
                    if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(part, out var child))
                    {
                        value = child;
                    }
                    else if (value.ValueKind == JsonValueKind.Array && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < value.GetArrayLength())
                    {
                        value = value[i];
                    }
                    else
                    {
                        throw new MonitoringInputException($"The JSON output on {where} has no attribute '{attribute}'.");
                    }
                }
            }

            if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1)
            {
                value = value[0];
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new MonitoringInputException($"The JSON output on {where} has no single value at '{attribute}'."),
            };
        }
    }
}
