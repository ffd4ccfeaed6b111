using System.Text.Json;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Datasets;

/// <summary>JSON Lines: one object a line, a feature per top-level property (null is missing).</summary>
internal static class JsonLinesDatasetReader
{
    public static void Read(Stream stream, DatasetProfiler profiler, string what)
    {
        using var text = new StreamReader(stream, leaveOpen: true);
        var number = 0;
        var records = 0;
        while (text.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new MonitoringInputException($"Line {number} of the {what} is not JSON: {e.Message}", e);
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new MonitoringInputException($"Line {number} of the {what} is not a JSON object.");
                }

                AddObject(document.RootElement, profiler);
            }

            records++;
        }

        if (records == 0)
        {
            throw new MonitoringInputException($"The {what} is empty: it has no records.");
        }
    }

    /// <summary>One record from a JSON object's properties.</summary>
    internal static void AddObject(JsonElement record, DatasetProfiler profiler)
    {
        foreach (var property in record.EnumerateObject())
        {
            AddValue(profiler.Column(property.Name), property.Value);
        }

        profiler.EndRow();
    }

    internal static void AddValue(ColumnProfiler column, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.Number:
                column.AddText(value.GetRawText());
                break;
            case JsonValueKind.String:
                column.AddString(value.GetString());
                break;
            default:
                column.AddString(value.GetRawText());
                break;
        }
    }
}
