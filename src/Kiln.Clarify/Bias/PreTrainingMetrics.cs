using static Kiln.Clarify.Bias.MetricMath;

namespace Kiln.Clarify.Bias;

/// <summary>
/// Pre-training bias metrics over boolean columns: facet (true = sensitive group d, false = the rest a) and
/// label (true = positive outcome). Formulas as in the Clarify documentation and smclarify.
/// </summary>
public static class PreTrainingMetrics
{
    /// <summary>Class Imbalance: (na − nd) / (na + nd).</summary>
    public static double CI(bool[] facet)
    {
        var nd = Count(facet, true);
        var na = facet.Length - nd;
        if (na == 0)
        {
            throw new BiasMetricException("CI: negated facet set is empty. Check that x[~facet] has non-zero length.");
        }
        if (nd == 0)
        {
            throw new BiasMetricException("CI: facet set is empty. Check that x[facet] has non-zero length.");
        }
        return (double)(na - nd) / (na + nd);
    }

    /// <summary>Difference in Positive Proportions: na(1)/na − nd(1)/nd.</summary>
    public static double DPL(bool[] facet, bool[] positive)
    {
        var nd = Count(facet, true);
        var na = facet.Length - nd;
        if (na == 0)
        {
            throw new BiasMetricException("Negative facet set is empty.");
        }
        if (nd == 0)
        {
            throw new BiasMetricException("Facet set is empty.");
        }
        return ((double)Count(facet, false, positive, true) / na) - ((double)Count(facet, true, positive, true) / nd);
    }

    public static double KL(bool[] facet, bool[] positive)
    {
        var (pa, pd) = AlignedDistributions(facet, positive);
        return pa.Select((p, i) => p * Math.Log(p / pd[i])).Sum();
    }

    public static double JS(bool[] facet, bool[] positive)
    {
        var (pa, pd) = AlignedDistributions(facet, positive);
        var p = pa.Select((x, i) => 0.5 * (x + pd[i])).ToArray();
        return 0.5 * (pa.Select((x, i) => x * Math.Log(x / p[i])).Sum() + pd.Select((x, i) => x * Math.Log(x / p[i])).Sum());
    }

    /// <summary>L2 norm of the difference of the label distributions.</summary>
    public static double LP(bool[] facet, bool[] positive)
    {
        var (pa, pd) = AlignedDistributions(facet, positive);
        return Math.Sqrt(pa.Select((x, i) => (x - pd[i]) * (x - pd[i])).Sum());
    }

    public static double TVD(bool[] facet, bool[] positive)
    {
        var (pa, pd) = AlignedDistributions(facet, positive);
        return 0.5 * pa.Select((x, i) => Math.Abs(x - pd[i])).Sum();
    }

    public static double KS(bool[] facet, bool[] positive)
    {
        var (pa, pd) = AlignedDistributions(facet, positive);
        return pa.Select((x, i) => Math.Abs(x - pd[i])).Max();
    }

    /// <summary>
    /// Conditional Demographic Disparity: the per-group (rejected share of d − accepted share of d), weighted by
    /// group size. Used for labels (CDDL) and predicted labels (CDDPL). Rows with no group are left out.
    /// </summary>
    public static double CDD(bool[] facet, bool[] positive, int[]? groups)
    {
        if (groups is null || groups.Length == 0)
        {
            throw new BiasMetricException("Group variable is empty or not provided");
        }
        if (Count(positive, true) == 0)
        {
            throw new BiasMetricException("No positive labels in set");
        }
        if (Count(positive, false) == 0)
        {
            throw new BiasMetricException("No negative labels in set");
        }
        var weighted = 0.0;
        var total = 0.0;
        foreach (var group in groups.Where(g => g >= 0).Distinct().Order())
        {
            int size = 0, accepted = 0, acceptedD = 0, rejected = 0, rejectedD = 0;
            for (var i = 0; i < groups.Length; i++)
            {
                if (groups[i] != group)
                {
                    continue;
                }
                size++;
                if (positive[i])
                {
                    accepted++;
                    acceptedD += facet[i] ? 1 : 0;
                }
                else
                {
                    rejected++;
                    rejectedD += facet[i] ? 1 : 0;
                }
            }
            var a = accepted != 0 ? (double)acceptedD / accepted : 0;
            var d = rejected != 0 ? (double)rejectedD / rejected : 0;
            weighted += size * (d - a);
            total += size;
        }
        return Divide(weighted, total);
    }

    /// <summary>
    /// The label distributions of a and d over {negative, positive}, keeping only outcomes both groups have
    /// (smclarify's pdfs_aligned_nonzero), so the divergences stay finite.
    /// </summary>
    private static (double[] Pa, double[] Pd) AlignedDistributions(bool[] facet, bool[] positive)
    {
        var nd = Count(facet, true);
        var na = facet.Length - nd;
        var pa = new List<double>();
        var pd = new List<double>();
        foreach (var outcome in new[] { false, true })
        {
            var a = na == 0 ? 0 : (double)Count(facet, false, positive, outcome) / na;
            var d = nd == 0 ? 0 : (double)Count(facet, true, positive, outcome) / nd;
            if (a != 0 && d != 0)
            {
                pa.Add(a);
                pd.Add(d);
            }
        }
        if (pa.Count == 0)
        {
            throw new BiasMetricException("No instance of common facet found, dataset may be too small");
        }
        return ([.. pa], [.. pd]);
    }
}
