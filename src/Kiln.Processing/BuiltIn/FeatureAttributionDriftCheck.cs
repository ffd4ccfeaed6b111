using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Clarify.Explainability;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// An explainability monitor's check against its baseline constraints (the baselining job's analysis.json): for each
/// label in the baseline's explanations.kernel_shap, the nDCG of the current global SHAP values against the baseline's
/// (<see cref="AttributionDrift"/>) violates when below the threshold, 0.9 as in SageMaker unless the baseline
/// label gives its own "threshold" (Kiln's extension, mirroring a bias metric's threshold).
/// </summary>
internal static class FeatureAttributionDriftCheck
{
    public sealed record Violation(string Label, double Ndcg, double Threshold);

    public static IReadOnlyList<Violation> Check(ShapReport current, string baselineJson)
    {
        var violations = new List<Violation>();
        if (JsonNode.Parse(baselineJson)?["explanations"]?["kernel_shap"] is not JsonObject labels)
        {
            return violations;
        }

        var attributions = current.Features.Zip(current.GlobalShapValues).ToDictionary(pair => pair.First, pair => pair.Second, StringComparer.Ordinal);
        foreach (var (label, entry) in labels)
        {
            if (entry?["global_shap_values"] is not JsonObject values)
            {
                continue;
            }

            var baseline = values.Where(pair => pair.Value is not null && Number(pair.Value) is not null)
                .ToDictionary(pair => pair.Key, pair => Number(pair.Value!)!.Value, StringComparer.Ordinal);
            var threshold = entry["threshold"] is { } explicitThreshold && Number(explicitThreshold) is { } limit ? limit : AttributionDrift.DefaultThreshold;
            var ndcg = AttributionDrift.Ndcg(baseline, attributions);
            if (ndcg < threshold)
            {
                violations.Add(new Violation(label, ndcg, threshold));
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
                ["label"] = v.Label,
                ["metric_name"] = "shap",
                ["constraint_check_type"] = "feature_attribution_drift_check",
                ["description"] = string.Create(CultureInfo.InvariantCulture, $"Feature attribution drift {v.Ndcg:R} exceeds threshold {v.Threshold:R}"),
            })]),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static double? Number(JsonNode node) =>
        double.TryParse(node.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : null;
}
