using System.Text;
using System.Text.Json;
using Kiln.Clarify.Bias;
using Kiln.Clarify.Explainability;

namespace Kiln.Clarify.Reports;

/// <summary>
/// analysis.json in Clarify's layout. Infinite metric values are written as the strings "Infinity"/"-Infinity"
/// (as Clarify does); a metric that failed has a null value and its error.
/// </summary>
public static class AnalysisJson
{
    public static string Write(AnalysisResult result)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            if (result.PreTraining is { } pre)
            {
                WriteBias(json, "pre_training_bias_metrics", pre);
            }
            if (result.PostTraining is { } post)
            {
                WriteBias(json, "post_training_bias_metrics", post);
            }
            if (result.Shap is { } shap)
            {
                WriteShap(json, shap);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteBias(Utf8JsonWriter json, string name, BiasReport report)
    {
        json.WriteStartObject(name);
        json.WriteString("label", report.Label);
        json.WriteStartObject("facets");
        foreach (var facet in report.Facets)
        {
            json.WriteStartArray(facet.Name);
            foreach (var group in facet.Values)
            {
                json.WriteStartObject();
                json.WriteString("value_or_threshold", group.ValueOrThreshold);
                json.WriteStartArray("metrics");
                foreach (var metric in group.Metrics)
                {
                    json.WriteStartObject();
                    json.WriteString("name", metric.Name);
                    json.WriteString("description", metric.Description);
                    WriteValue(json, metric.Value);
                    if (metric.Error is not null)
                    {
                        json.WriteString("error", metric.Error);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteString("label_value_or_threshold", report.LabelValueOrThreshold);
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, double? value)
    {
        switch (value)
        {
            case null:
            case double.NaN:
                json.WriteNull("value");
                break;
            case double.PositiveInfinity:
                json.WriteString("value", "Infinity");
                break;
            case double.NegativeInfinity:
                json.WriteString("value", "-Infinity");
                break;
            default:
                json.WriteNumber("value", value.Value);
                break;
        }
    }

    private static void WriteShap(Utf8JsonWriter json, ShapReport shap)
    {
        json.WriteStartObject("explanations");
        json.WriteStartObject("kernel_shap");
        json.WriteStartObject(shap.Label);
        json.WriteStartObject("global_shap_values");
        for (var i = 0; i < shap.Features.Count; i++)
        {
            json.WriteNumber(shap.Features[i], shap.GlobalShapValues[i]);
        }
        json.WriteEndObject();
        json.WriteNumber("expected_value", shap.ExpectedValue);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>explanations_shap/out.csv: one row of local SHAP values per dataset row, one column per feature.</summary>
    public static string LocalValuesCsv(ShapReport shap)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', shap.Features.Select(Quote)).Append('\n');
        foreach (var row in shap.Local.Values)
        {
            text.AppendJoin(',', row.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))).Append('\n');
        }
        return text.ToString();
    }

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
}
