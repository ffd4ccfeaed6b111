using System.Text.Json;
using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Drift;

public enum FeatureKind
{
    Numerical,
    Categorical,
}

/// <summary>
/// Kiln's drift of one feature, beyond Model Monitor's single distance: PSI and Jensen–Shannon over the
/// baseline's deciles (numbers) or categories, the KS test for numbers and the chi-square test for categories.
/// <see cref="Distance"/> is the distance Model Monitor's baseline_drift_check compares with its threshold.
/// </summary>
public sealed record FeatureDrift(
    string Name,
    FeatureKind Kind,
    double LInfinity,
    double Distance,
    double Threshold,
    bool Drifted,
    double PopulationStabilityIndex,
    double JensenShannon,
    double? KolmogorovSmirnov,
    double? KolmogorovSmirnovPValue,
    double? ChiSquare,
    double? ChiSquarePValue);

public sealed record DriftReport(IReadOnlyList<FeatureDrift> Features)
{
    public FeatureDrift? Feature(string name) => Features.FirstOrDefault(f => f.Name == name);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("features");
            foreach (var f in Features)
            {
                w.WriteStartObject();
                w.WriteString("feature_name", f.Name);
                w.WriteString("kind", f.Kind.ToString());
                JsonNumbers.Write(w, "linf_distance", f.LInfinity);
                JsonNumbers.Write(w, "drift_distance", f.Distance);
                JsonNumbers.Write(w, "threshold", f.Threshold);
                w.WriteBoolean("drifted", f.Drifted);
                JsonNumbers.Write(w, "psi", f.PopulationStabilityIndex);
                JsonNumbers.Write(w, "jensen_shannon", f.JensenShannon);
                Optional(w, "ks_statistic", f.KolmogorovSmirnov);
                Optional(w, "ks_p_value", f.KolmogorovSmirnovPValue);
                Optional(w, "chi_square", f.ChiSquare);
                Optional(w, "chi_square_p_value", f.ChiSquarePValue);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            JsonNumbers.Write(w, name, v);
        }
    }
}

/// <summary>Compares each feature the baseline and the current statistics share.</summary>
public static class DriftAnalyzer
{
    public static DriftReport Compare(DatasetStatistics baseline, DatasetStatistics current, DistributionConstraints? distribution = null)
    {
        distribution ??= new DistributionConstraints();
        var features = new List<FeatureDrift>();
        foreach (var b in baseline.Features)
        {
            if (current.Feature(b.Name) is not { } c)
            {
                continue;
            }

            if (b.Numerical is { } bn && c.Numerical is { } cn && bn.Sketch.Count > 0 && cn.Sketch.Count > 0)
            {
                features.Add(Numerical(b.Name, bn, cn, distribution));
            }
            else if (b.String is { } bs && c.String is { } cs && bs.Buckets.Count > 0 && cs.Buckets.Count > 0)
            {
                features.Add(Categorical(b.Name, bs, cs, distribution));
            }
        }

        return new DriftReport(features);
    }

    private static FeatureDrift Numerical(string name, NumericalStatistics baseline, NumericalStatistics current, DistributionConstraints distribution)
    {
        var b = baseline.Sketch.Sorted();
        var c = current.Sketch.Sorted();
        var linf = Distances.LInfinity(b, c);
        var distance = distribution.ComparisonMethod == ComparisonMethod.Robust
            ? Distances.LInfinityRobust(linf, b.Total, c.Total)
            : linf;

        // Decile bins of the baseline (fewer when values repeat), shares of each side from its own sketch.
        var edges = Enumerable.Range(1, 9).Select(i => b.Quantile(i / 10.0)).Distinct().ToList();
        var bShares = Shares(b, edges);
        var cShares = Shares(c, edges);
        return new FeatureDrift(
            name,
            FeatureKind.Numerical,
            linf,
            distance,
            distribution.ComparisonThreshold,
            distance > distribution.ComparisonThreshold,
            Distances.PopulationStabilityIndex(bShares, cShares),
            Distances.JensenShannon(bShares, cShares),
            linf,
            Distances.KolmogorovSmirnovPValue(linf, b.Total, c.Total),
            null,
            null);
    }

    private static List<double> Shares(Sketches.KllSketch.SortedView view, List<double> edges)
    {
        var shares = new List<double>(edges.Count + 1);
        var before = 0.0;
        foreach (var edge in edges)
        {
            var through = view.Cdf(edge);
            shares.Add(through - before);
            before = through;
        }

        shares.Add(1 - before);
        return shares;
    }

    private static FeatureDrift Categorical(string name, StringStatistics baseline, StringStatistics current, DistributionConstraints distribution)
    {
        var bShares = ShareByValue(baseline.Buckets);
        var cShares = ShareByValue(current.Buckets);
        var linf = Distances.LInfinity(bShares, cShares);
        var (chi, p) = Distances.ChiSquare(baseline.Buckets, current.Buckets);
        var keys = bShares.Keys.Union(cShares.Keys).ToList();
        var b = keys.Select(k => bShares.GetValueOrDefault(k)).ToList();
        var c = keys.Select(k => cShares.GetValueOrDefault(k)).ToList();
        var chiSquared = distribution.CategoricalDriftMethod == CategoricalDriftMethod.ChiSquared;

        // With ChiSquared the threshold is the significance level the p-value must not fall below.
        var drifted = chiSquared ? p < distribution.CategoricalComparisonThreshold : linf > distribution.CategoricalComparisonThreshold;
        return new FeatureDrift(
            name,
            FeatureKind.Categorical,
            linf,
            chiSquared ? p : linf,
            distribution.CategoricalComparisonThreshold,
            drifted,
            Distances.PopulationStabilityIndex(b, c),
            Distances.JensenShannon(b, c),
            null,
            null,
            chi,
            p);
    }

    private static Dictionary<string, double> ShareByValue(IReadOnlyList<CategoricalBucket> buckets)
    {
        var total = buckets.Sum(x => (double)x.Count);
        return buckets.GroupBy(x => x.Value, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => total == 0 ? 0 : g.Sum(x => x.Count) / total, StringComparer.Ordinal);
    }
}
