using Kiln.Monitoring.Sketches;

namespace Kiln.Monitoring.Statistics;

/// <summary>The content of a data-quality statistics.json.</summary>
public sealed record DatasetStatistics(long ItemCount, IReadOnlyList<FeatureStatistics> Features)
{
    public FeatureStatistics? Feature(string name) => Features.FirstOrDefault(f => f.Name == name);
}

/// <summary>One feature: numerical_statistics for Integral/Fractional, string_statistics otherwise.</summary>
public sealed record FeatureStatistics(
    string Name,
    InferredType InferredType,
    long NumPresent,
    long NumMissing,
    NumericalStatistics? Numerical,
    StringStatistics? String);

public sealed record NumericalStatistics(
    double Mean,
    double Sum,
    double StdDev,
    double Min,
    double Max,
    IReadOnlyList<KllBucket> Buckets,
    KllSketch Sketch);

public sealed record KllBucket(double LowerBound, double UpperBound, long Count);

public sealed record StringStatistics(long DistinctCount, IReadOnlyList<CategoricalBucket> Buckets);

public sealed record CategoricalBucket(string Value, long Count);
