using System.Text.Json;

namespace Kiln.Core.Monitoring;

/// <summary>
/// Reads an execution's reports into metric points and violations. Both statistics.json shapes are read: data
/// quality's <c>features</c> (per feature: completeness, mean, stddev, min, max) and model quality's
/// <c>*_metrics</c> objects (<c>{"accuracy": {"value": …, "standard_deviation": …}}</c>, one point per metric);
/// kiln_drift_report.json adds each feature's drift distance.
/// </summary>
public static class MonitoringReports
{
    public const string Statistics = "statistics.json";
    public const string Violations = "constraint_violations.json";
    public const string Drift = "kiln_drift_report.json";

    /// <summary>The points of statistics.json and, if there is one, the drift report; unreadable JSON gives no points.</summary>
    public static List<MetricPoint> ReadPoints(string? statisticsJson, string? driftJson)
    {
        var points = new List<MetricPoint>();
        if (Parse(statisticsJson) is { } statistics)
        {
            using (statistics)
            {
                ReadFeatures(statistics.RootElement, points);
                ReadModelQuality(statistics.RootElement, points);
            }
        }

        if (Parse(driftJson) is { } drift)
        {
            using (drift)
            {
                foreach (var feature in Array(drift.RootElement, "features"))
                {
                    if (Text(feature, "feature_name") is { } name && Number(feature, "drift_distance") is { } distance)
                    {
                        points.Add(new MetricPoint($"{name}.drift_distance", name, distance));
                    }
                }
            }
        }

        return points;
    }

    /// <summary>The entries of constraint_violations.json; a model-quality violation names its metric (<c>metric_name</c>) where data quality names a feature.</summary>
    public static List<MetricViolation> ReadViolations(string? violationsJson)
    {
        var violations = new List<MetricViolation>();
        if (Parse(violationsJson) is not { } document)
        {
            return violations;
        }

        using (document)
        {
            foreach (var entry in Array(document.RootElement, "violations"))
            {
                var subject = Text(entry, "feature_name") ?? Text(entry, "metric_name") ?? "";
                violations.Add(new MetricViolation(subject, Text(entry, "constraint_check_type") ?? "", Text(entry, "description") ?? ""));
            }
        }

        return violations;
    }

    private static void ReadFeatures(JsonElement root, List<MetricPoint> points)
    {
        foreach (var feature in Array(root, "features"))
        {
            if (Text(feature, "name") is not { } name)
            {
                continue;
            }

            var statistics = Member(feature, "numerical_statistics") ?? Member(feature, "string_statistics");
            if (statistics is not { } stats)
            {
                continue;
            }

            if (Member(stats, "common") is { } common && Number(common, "num_present") is { } present && Number(common, "num_missing") is { } missing && present + missing > 0)
            {
                points.Add(new MetricPoint($"{name}.completeness", name, present / (present + missing)));
            }

            foreach (var (member, metric) in new[] { ("mean", "mean"), ("std_dev", "stddev"), ("min", "min"), ("max", "max") })
            {
                if (Number(stats, member) is { } value)
                {
                    points.Add(new MetricPoint($"{name}.{metric}", name, value));
                }
            }
        }
    }

    private static void ReadModelQuality(JsonElement root, List<MetricPoint> points)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var group in root.EnumerateObject().Where(group => group.Name.EndsWith("_metrics", StringComparison.Ordinal) && group.Value.ValueKind == JsonValueKind.Object))
        {
            foreach (var metric in group.Value.EnumerateObject())
            {
                if (Number(metric.Value, "value") is { } value)
                {
                    points.Add(new MetricPoint(metric.Name, metric.Name, value));
                }
            }
        }
    }

    private static JsonDocument? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    private static JsonElement? Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null ? member : null;

    private static string? Text(JsonElement element, string name) => Member(element, name) is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.Number } number && number.TryGetDouble(out var value) && double.IsFinite(value) ? value : null;
}
