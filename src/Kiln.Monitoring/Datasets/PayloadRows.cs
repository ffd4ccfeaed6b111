using System.Text.Json;
using Kiln.Monitoring.Statistics;
using nietras.SeparatedValues;

namespace Kiln.Monitoring.Datasets;

/// <summary>
/// The records in one captured payload: CSV lines (features _c0.._cN), a JSON object (a feature per property), a
/// JSON array of numbers (_c0.._cN), or a JSON array of such rows.
/// </summary>
internal static class PayloadRows
{
    public static void Feed(CapturedPayload payload, DatasetProfiler profiler, string where)
    {
        if (payload.IsCsv)
        {
            FeedCsv(payload.Text, profiler, where);
        }
        else if (payload.IsJson)
        {
            FeedJson(payload.Text, profiler, where);
        }
        else
        {
            throw new MonitoringInputException($"The payload on {where} is '{payload.ContentType}', neither CSV nor JSON, so it has no features to analyze.");
        }
    }

    private static void FeedCsv(string text, DatasetProfiler profiler, string where)
    {
        try
        {
            using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).FromText(text);
            foreach (var row in reader)
            {
                if (row.ColCount == 1 && row[0].Span.IsEmpty)
                {
                    continue;
                }

                for (var c = 0; c < row.ColCount; c++)
                {
                    profiler.Column($"_c{c}").AddText(row[c].Span);
                }

                profiler.EndRow();
            }
        }
        catch (InvalidDataException e)
        {
            throw new MonitoringInputException($"The CSV payload on {where} is not valid CSV: {e.Message}", e);
        }
    }

    private static void FeedJson(string text, DatasetProfiler profiler, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The JSON payload on {where} is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root[0].ValueKind is JsonValueKind.Array or JsonValueKind.Object)
            {
                foreach (var row in root.EnumerateArray())
                {
                    FeedRow(row, profiler);
                }
            }
            else
            {
                FeedRow(root, profiler);
            }
        }
    }

    private static void FeedRow(JsonElement row, DatasetProfiler profiler)
    {
        switch (row.ValueKind)
        {
            case JsonValueKind.Object:
                JsonLinesDatasetReader.AddObject(row, profiler);
                break;
            case JsonValueKind.Array:
                var c = 0;
                foreach (var value in row.EnumerateArray())
                {
                    JsonLinesDatasetReader.AddValue(profiler.Column($"_c{c++}"), value);
                }

                profiler.EndRow();
                break;
            default:
                JsonLinesDatasetReader.AddValue(profiler.Column("_c0"), row);
                profiler.EndRow();
                break;
        }

    }
}
