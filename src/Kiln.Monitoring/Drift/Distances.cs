using Kiln.Monitoring.Sketches;
using Kiln.Monitoring.Statistics;
using MathNet.Numerics.Distributions;

namespace Kiln.Monitoring.Drift;

/// <summary>Distances and two-sample tests between a baseline and a current distribution.</summary>
public static class Distances
{
    private const double Floor = 1e-4;

    /// <summary>
    /// L-infinity between the two CDFs the sketches estimate (the two-sample Kolmogorov–Smirnov statistic):
    /// Model Monitor's "linf_simple".
    /// </summary>
    public static double LInfinity(KllSketch.SortedView baseline, KllSketch.SortedView current)
    {
        double max = 0;
        foreach (var x in baseline.Values)
        {
            max = Math.Max(max, Math.Abs(baseline.Cdf(x) - current.Cdf(x)));
        }

        foreach (var x in current.Values)
        {
            max = Math.Max(max, Math.Abs(baseline.Cdf(x) - current.Cdf(x)));
        }

        return max;
    }

    /// <summary>
    /// Model Monitor's "linf_robust", for windows too small for the simple distance: the L-infinity distance less
    /// what two samples of these sizes from one distribution would show at the 95 % level of the two-sample
    /// Kolmogorov–Smirnov test, c(0.05)·√((n+m)/(n·m)), never below zero.
    /// </summary>
    public static double LInfinityRobust(double distance, long n, long m)
    {
        if (n <= 0 || m <= 0)
        {
            return distance;
        }

        var critical = 1.3581 * Math.Sqrt((double)(n + m) / ((double)n * m));
        return Math.Max(0, distance - critical);
    }

    /// <summary>The asymptotic p-value of a two-sample KS statistic (Kolmogorov's series, Stephens' correction).</summary>
    public static double KolmogorovSmirnovPValue(double statistic, long n, long m)
    {
        if (n <= 0 || m <= 0)
        {
            return double.NaN;
        }

        var effective = Math.Sqrt((double)n * m / (n + m));
        var lambda = (effective + 0.12 + (0.11 / effective)) * statistic;
        if (lambda < 1e-3)
        {
            return 1;
        }

        double sum = 0;
        for (var j = 1; j <= 100; j++)
        {
            var term = Math.Exp(-2 * j * j * lambda * lambda);
            sum += (j % 2 == 1 ? 2 : -2) * term;
            if (term < 1e-12)
            {
                break;
            }
        }

        return Math.Clamp(sum, 0, 1);
    }

    /// <summary>Largest difference of the categories' shares.</summary>
    public static double LInfinity(IReadOnlyDictionary<string, double> baseline, IReadOnlyDictionary<string, double> current) =>
        baseline.Keys.Union(current.Keys).Select(key => Math.Abs(baseline.GetValueOrDefault(key) - current.GetValueOrDefault(key))).DefaultIfEmpty(0).Max();

    /// <summary>Population stability index, Σ (c − b)·ln(c / b), with shares floored at 1e-4.</summary>
    public static double PopulationStabilityIndex(IReadOnlyList<double> baseline, IReadOnlyList<double> current)
    {
        double psi = 0;
        for (var i = 0; i < baseline.Count; i++)
        {
            var b = Math.Max(baseline[i], Floor);
            var c = Math.Max(current[i], Floor);
            psi += (c - b) * Math.Log(c / b);
        }

        return psi;
    }

    /// <summary>Jensen–Shannon divergence in bits (0 for equal shares, 1 for disjoint ones).</summary>
    public static double JensenShannon(IReadOnlyList<double> baseline, IReadOnlyList<double> current)
    {
        double divergence = 0;
        for (var i = 0; i < baseline.Count; i++)
        {
            var b = baseline[i];
            var c = current[i];
            var mid = (b + c) / 2;
            if (b > 0)
            {
                divergence += 0.5 * b * Math.Log2(b / mid);
            }

            if (c > 0)
            {
                divergence += 0.5 * c * Math.Log2(c / mid);
            }
        }

        return Math.Max(0, divergence);
    }

    /// <summary>
    /// Pearson's chi-square of the current counts against the baseline's shares, over the baseline's categories
    /// plus one for values the baseline never had (expected as half a baseline count); p from χ²(bins − 1).
    /// </summary>
    public static (double Statistic, double PValue) ChiSquare(IReadOnlyList<CategoricalBucket> baseline, IReadOnlyList<CategoricalBucket> current)
    {
        var baselineTotal = baseline.Sum(b => (double)b.Count);
        var currentTotal = current.Sum(b => (double)b.Count);
        if (baselineTotal == 0 || currentTotal == 0 || baseline.Count == 0)
        {
            return (0, 1);
        }

        var observed = current.ToDictionary(b => b.Value, b => (double)b.Count, StringComparer.Ordinal);
        double statistic = 0;
        double unseen = currentTotal;
        foreach (var bucket in baseline)
        {
            var expected = currentTotal * bucket.Count / baselineTotal;
            var count = observed.GetValueOrDefault(bucket.Value);
            unseen -= count;
            statistic += (count - expected) * (count - expected) / expected;
        }

        var bins = baseline.Count;
        if (unseen > 0)
        {
            var expected = currentTotal * 0.5 / baselineTotal;
            statistic += (unseen - expected) * (unseen - expected) / expected;
            bins++;
        }

        if (bins < 2)
        {
            return (statistic, 1);
        }

        return (statistic, 1 - ChiSquared.CDF(bins - 1, statistic));
    }
}
