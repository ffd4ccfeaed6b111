using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Clarify.Explainability;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// An explainability monitor's check against its baseline constraints (the baselining job's analysis.json), as
/// SageMaker defines feature attribution drift: the NDCG of the features ranked by their current global SHAP values,
/// each scored with its baseline attribution, against the ideal (baseline) ranking. Below 0.9 is a violation.
/// </summary>
internal static class AttributionDriftCheck
{
    public const double Threshold = 0.9;

    public sealed record Violation(string Label, double Ndcg);

    /// <summary>The violation, or null when the ranking holds or the baseline has no attributions for this label.</summary>
    public static Violation? Check(ShapReport current, string baselineJson)
    {
        if (JsonNode.Parse(baselineJson)?["explanations"]?["kernel_shap"]?[current.Label]?["global_shap_values"] is not JsonObject values)
        {
            return null;
        }

        var baseline = values.ToDictionary(p => p.Key, p => p.Value?.GetValue<double>() ?? 0, StringComparer.Ordinal);
        var ndcg = Ndcg(baseline, current.Features.Zip(current.GlobalShapValues).OrderByDescending(f => f.Second).Select(f => f.First));
        return ndcg < Threshold ? new Violation(current.Label, ndcg) : null;
    }

    /// <summary>DCG of <paramref name="ranking"/> scored with the baseline attributions, over the DCG of the baseline's own order.</summary>
    internal static double Ndcg(IReadOnlyDictionary<string, double> baseline, IEnumerable<string> ranking)
    {
        var ideal = Dcg(baseline.Values.OrderByDescending(v => v));
        return ideal <= 0 ? 1 : Dcg(ranking.Select(feature => baseline.GetValueOrDefault(feature))) / ideal;
    }

    private static double Dcg(IEnumerable<double> scores) => scores.Select((score, i) => score / Math.Log2(i + 2)).Sum();

    public static string ToJson(Violation? violation) =>
        new JsonObject
        {
            ["version"] = "1.0",
            ["violations"] = violation is null ? new JsonArray() : new JsonArray(new JsonObject
            {
                ["label"] = violation.Label,
                ["metric_name"] = "shap",
                ["constraint_check_type"] = "feature_attribution_drift_check",
                ["description"] = string.Create(CultureInfo.InvariantCulture, $"Feature attribution drift {violation.Ndcg:R} exceeds threshold {Threshold:R}"),
            }),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
