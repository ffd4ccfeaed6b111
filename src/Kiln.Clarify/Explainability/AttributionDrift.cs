namespace Kiln.Clarify.Explainability;

/// <summary>
/// How far a model's global feature attributions moved from a baseline's: the normalized discounted cumulative gain
/// (nDCG) SageMaker's explainability monitor computes. Features are ranked by their current attribution, each gains
/// its baseline attribution, discounted by log2(rank + 1); 1 means the ranking is unchanged, and a swap costs more
/// the more important the features were in the baseline.
/// </summary>
public static class AttributionDrift
{
    /// <summary>SageMaker's threshold: an nDCG below it is a feature attribution drift.</summary>
    public const double DefaultThreshold = 0.9;

    /// <summary>The nDCG of the current ranking against the baseline's; features missing from the current attributions rank last.</summary>
    public static double Ndcg(IReadOnlyDictionary<string, double> baseline, IReadOnlyDictionary<string, double> current)
    {
        var gain = baseline.ToDictionary(pair => pair.Key, pair => Math.Abs(pair.Value), StringComparer.Ordinal);
        var ideal = Discounted(gain.OrderByDescending(pair => pair.Value).Select(pair => pair.Value));
        if (ideal == 0)
        {
            return 1;
        }

        var actual = Discounted(gain.Keys
            .OrderByDescending(feature => current.TryGetValue(feature, out var value) ? Math.Abs(value) : double.NegativeInfinity)
            .ThenBy(feature => feature, StringComparer.Ordinal)
            .Select(feature => gain[feature]));
        return actual / ideal;
    }

    private static double Discounted(IEnumerable<double> gainsInRankOrder) =>
        gainsInRankOrder.Select((gain, rank) => gain / Math.Log2(rank + 2)).Sum();
}
