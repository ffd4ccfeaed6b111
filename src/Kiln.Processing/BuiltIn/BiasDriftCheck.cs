using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Clarify.Bias;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// A bias monitor's check against its baseline constraints (the baselining job's analysis.json): a post-training
/// metric violates when it is further from its fair value (1 for DI, 0 for the others) than the baseline's value of
/// the same metric for the same facet and group, or than a metric's explicit "threshold" when the baseline gives one.
/// </summary>
internal static class BiasDriftCheck
{
    public sealed record Violation(string Facet, string FacetValue, string MetricName, double Value, double Threshold);

    public static IReadOnlyList<Violation> Check(BiasReport current, string baselineJson)
    {
        var baseline = JsonNode.Parse(baselineJson)?["post_training_bias_metrics"]?["facets"] as JsonObject;
        var violations = new List<Violation>();
        if (baseline is null)
        {
            return violations;
        }

        foreach (var facet in current.Facets)
        {
            foreach (var group in facet.Values)
            {
                var baselineMetrics = (baseline[facet.Name] as JsonArray)?
                    .FirstOrDefault(g => g?["value_or_threshold"]?.ToString() == group.ValueOrThreshold)?["metrics"] as JsonArray;
                foreach (var metric in group.Metrics.Where(m => m.Value is not null))
                {
                    var limit = baselineMetrics?.FirstOrDefault(m => m?["name"]?.ToString() == metric.Name) is { } entry ? Limit(metric.Name, entry) : null;
                    var distance = Distance(metric.Name, metric.Value!.Value);
                    if (limit is { } threshold && distance > threshold + 1e-9)
                    {
                        violations.Add(new Violation(facet.Name, group.ValueOrThreshold, metric.Name, metric.Value.Value, threshold));
                    }
                }
            }
        }

        return violations;
    }

    public static string ToJson(IReadOnlyList<Violation> violations) =>
        new JsonObject
        {
            ["version"] = "1.0",
            ["violations"] = new JsonArray([.. violations.Select(v => (JsonNode)new JsonObject
            {
                ["facet"] = v.Facet,
                ["facet_value"] = v.FacetValue,
                ["constraint_check_type"] = "bias_drift_check",
                ["metric_name"] = v.MetricName,
                ["description"] = string.Create(CultureInfo.InvariantCulture, $"Value {v.Value:G6} does not meet the constraint requirement: its distance from the fair value exceeds {v.Threshold:G6}."),
            })]),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static double? Limit(string metric, JsonNode entry)
    {
        if (entry["threshold"] is { } threshold && Number(threshold) is { } explicitLimit)
        {
            return Math.Abs(explicitLimit);
        }

        return entry["value"] is { } value && Number(value) is { } baselineValue ? Distance(metric, baselineValue) : null;
    }

    private static double Distance(string metric, double value) => Math.Abs(metric == "DI" ? value - 1 : value);

    private static double? Number(JsonNode node) =>
        double.TryParse(node.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number) ? number : null;
}
