using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Constraints;

/// <summary>
/// suggest_baseline's constraints: each feature's inferred type and observed completeness, non-negativity of
/// numbers whose minimum is not negative, and the observed values of String features with few of them.
/// </summary>
public static class ConstraintSuggester
{
    public static DataQualityConstraints Suggest(DatasetStatistics statistics, MonitoringConfig? config = null)
    {
        var features = statistics.Features.Select(feature =>
        {
            var completeness = statistics.ItemCount == 0 ? 0 : (double)feature.NumPresent / statistics.ItemCount;
            bool? nonNegative = feature.Numerical is { } numerical ? numerical.Min >= 0 : null;
            IReadOnlyList<string>? domains = feature.InferredType == InferredType.String && feature.String is { } strings
                && strings.DistinctCount <= ColumnProfiler.MaxDomainValues && strings.Buckets.Count == strings.DistinctCount
                    ? strings.Buckets.Select(b => b.Value).Order(StringComparer.Ordinal).ToList()
                    : null;
            return new FeatureConstraints(feature.Name, feature.InferredType, completeness, nonNegative, domains);
        }).ToList();
        return new DataQualityConstraints(features, config ?? new MonitoringConfig(DistributionConstraints: new DistributionConstraints()));
    }
}
