using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Constraints;

/// <summary>The content of a data-quality constraints.json.</summary>
public sealed record DataQualityConstraints(IReadOnlyList<FeatureConstraints> Features, MonitoringConfig MonitoringConfig)
{
    public FeatureConstraints? Feature(string name) => Features.FirstOrDefault(f => f.Name == name);
}

/// <param name="Completeness">The share of records in which the feature is present.</param>
/// <param name="IsNonNegative">num_constraints.is_non_negative, for Integral and Fractional features.</param>
/// <param name="Domains">string_constraints.domains, for String features of small cardinality.</param>
public sealed record FeatureConstraints(
    string Name,
    InferredType InferredType,
    double Completeness,
    bool? IsNonNegative = null,
    IReadOnlyList<string>? Domains = null);

public sealed record MonitoringConfig(
    bool EvaluateConstraints = true,
    bool EmitMetrics = true,
    double DatatypeCheckThreshold = 0.1,
    double DomainContentThreshold = 0.1,
    DistributionConstraints? DistributionConstraints = null)
{
    public DistributionConstraints Distribution => DistributionConstraints ?? new DistributionConstraints();
}

public enum ComparisonMethod
{
    Robust,
    Simple,
}

public enum CategoricalDriftMethod
{
    LInfinity,
    ChiSquared,
}

public sealed record DistributionConstraints(
    bool PerformComparison = true,
    double ComparisonThreshold = 0.1,
    ComparisonMethod ComparisonMethod = ComparisonMethod.Robust,
    double CategoricalComparisonThreshold = 0.1,
    CategoricalDriftMethod CategoricalDriftMethod = CategoricalDriftMethod.LInfinity);
