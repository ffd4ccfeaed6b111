using System.Text.Json;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Constraints;

/// <summary>Model Monitor's constraints.json (data quality), written and read.</summary>
public static class ConstraintsJson
{
    public static void Write(DataQualityConstraints constraints, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("version", 0.0);
        w.WriteStartArray("features");
        foreach (var feature in constraints.Features)
        {
            w.WriteStartObject();
            w.WriteString("name", feature.Name);
            w.WriteString("inferred_type", feature.InferredType.ToString());
            w.WriteNumber("completeness", feature.Completeness);
            if (feature.IsNonNegative is { } nonNegative)
            {
                w.WriteStartObject("num_constraints");
                w.WriteBoolean("is_non_negative", nonNegative);
                w.WriteEndObject();
            }

            if (feature.Domains is { } domains)
            {
                w.WriteStartObject("string_constraints");
                w.WriteStartArray("domains");
                foreach (var value in domains)
                {
                    w.WriteStringValue(value);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        var config = constraints.MonitoringConfig;
        var distribution = config.Distribution;
        w.WriteStartObject("monitoring_config");
        w.WriteString("evaluate_constraints", Enabled(config.EvaluateConstraints));
        w.WriteString("emit_metrics", Enabled(config.EmitMetrics));
        w.WriteNumber("datatype_check_threshold", config.DatatypeCheckThreshold);
        w.WriteNumber("domain_content_threshold", config.DomainContentThreshold);
        w.WriteStartObject("distribution_constraints");
        w.WriteString("perform_comparison", Enabled(distribution.PerformComparison));
        w.WriteNumber("comparison_threshold", distribution.ComparisonThreshold);
        w.WriteString("comparison_method", distribution.ComparisonMethod.ToString());
        w.WriteNumber("categorical_comparison_threshold", distribution.CategoricalComparisonThreshold);
        w.WriteString("categorical_drift_method", distribution.CategoricalDriftMethod.ToString());
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static string ToJson(DataQualityConstraints constraints)
    {
        using var stream = new MemoryStream();
        Write(constraints, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static DataQualityConstraints Parse(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return Read(stream);
    }

    /// <summary>Reads a constraints.json; absent monitoring_config fields take Model Monitor's defaults.</summary>
    public static DataQualityConstraints Read(Stream stream)
    {
        try
        {
            return ReadDocument(stream);
        }
        catch (InvalidOperationException e)
        {
            throw new MonitoringInputException($"The constraints file does not have Model Monitor's schema: {e.Message}", e);
        }
    }

    private static DataQualityConstraints ReadDocument(Stream stream)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The constraints file is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
            {
                throw new MonitoringInputException("The constraints file has no features array.");
            }

            var list = features.EnumerateArray().Select(ReadFeature).ToList();
            var config = new MonitoringConfig();
            if (root.TryGetProperty("monitoring_config", out var mc) && mc.ValueKind == JsonValueKind.Object)
            {
                var distribution = new DistributionConstraints();
                if (mc.TryGetProperty("distribution_constraints", out var dc) && dc.ValueKind == JsonValueKind.Object)
                {
                    distribution = new DistributionConstraints(
                        Flag(dc, "perform_comparison", true),
                        Json.Number(dc, "comparison_threshold", distribution.ComparisonThreshold),
                        Choice(dc, "comparison_method", distribution.ComparisonMethod),
                        Json.Number(dc, "categorical_comparison_threshold", distribution.CategoricalComparisonThreshold),
                        Choice(dc, "categorical_drift_method", distribution.CategoricalDriftMethod));
                }

                config = new MonitoringConfig(
                    Flag(mc, "evaluate_constraints", true),
                    Flag(mc, "emit_metrics", true),
                    Json.Number(mc, "datatype_check_threshold", config.DatatypeCheckThreshold),
                    Json.Number(mc, "domain_content_threshold", config.DomainContentThreshold),
                    distribution);
            }

            return new DataQualityConstraints(list, config);
        }
    }

    private static FeatureConstraints ReadFeature(JsonElement feature)
    {
        var name = Json.RequiredString(feature, "name", "A feature of the constraints file");
        var type = Json.Type(feature, $"Feature '{name}' of the constraints file");
        var completeness = Json.Number(feature, "completeness", 0);
        bool? nonNegative = feature.TryGetProperty("num_constraints", out var num) && num.TryGetProperty("is_non_negative", out var nn) && nn.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? nn.GetBoolean()
            : null;
        List<string>? domains = null;
        if (feature.TryGetProperty("string_constraints", out var sc) && sc.TryGetProperty("domains", out var d) && d.ValueKind == JsonValueKind.Array)
        {
            domains = d.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()).ToList();
        }

        return new FeatureConstraints(name, type, completeness, nonNegative, domains);
    }

    private static string Enabled(bool on) => on ? "Enabled" : "Disabled";

    private static bool Flag(JsonElement element, string name, bool fallback)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.String && value.GetString() is "Enabled" or "Disabled"
            ? value.GetString() == "Enabled"
            : throw new MonitoringInputException($"monitoring_config.{name} must be Enabled or Disabled.");
    }

    private static T Choice<T>(JsonElement element, string name, T fallback)
        where T : struct, Enum
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return Enum.TryParse<T>(text, out var parsed) && !int.TryParse(text, out _)
            ? parsed
            : throw new MonitoringInputException($"distribution_constraints.{name} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }
}
