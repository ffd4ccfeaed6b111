using static Kiln.Clarify.Bias.MetricMath;

namespace Kiln.Clarify.Bias;

/// <summary>
/// Post-training bias metrics over boolean columns: facet (true = group d), label and predicted label
/// (true = positive). Formulas as in the Clarify documentation and smclarify.
/// </summary>
public static class PostTrainingMetrics
{
    public static double DPPL(bool[] facet, bool[] predicted) => PreTrainingMetrics.DPL(facet, predicted);

    /// <summary>Disparate Impact: (nd(1̂)/nd) / (na(1̂)/na).</summary>
    public static double DI(bool[] facet, bool[] predicted)
    {
        RequireBothGroups(facet, "Negated facet set is empty", "Facet set is empty");
        var na = Count(facet, false);
        var nd = Count(facet, true);
        var qa = (double)Count(facet, false, predicted, true) / na;
        var qd = (double)Count(facet, true, predicted, true) / nd;
        return Divide(qd, qa);
    }

    /// <summary>Difference in Conditional Acceptance: na(1)/na(1̂) − nd(1)/nd(1̂).</summary>
    public static double DCA(bool[] facet, bool[] label, bool[] predicted)
    {
        RequireBothGroups(facet, "DCO: Negated Facet set is empty", "DCO: Facet set is empty");
        var ca = Divide(Count(label, true, facet, false), Count(predicted, true, facet, false));
        var cd = Divide(Count(label, true, facet, true), Count(predicted, true, facet, true));
        return Difference(ca, cd);
    }

    /// <summary>Difference in Conditional Rejection: nd(0)/nd(0̂) − na(0)/na(0̂).</summary>
    public static double DCR(bool[] facet, bool[] label, bool[] predicted)
    {
        RequireBothGroups(facet, "DCO: Negated Facet set is empty", "DCO: Facet set is empty");
        var ra = Divide(Count(label, false, facet, false), Count(predicted, false, facet, false));
        var rd = Divide(Count(label, false, facet, true), Count(predicted, false, facet, true));
        return Difference(rd, ra);
    }

    /// <summary>Recall Difference: TPa/(TPa+FNa) − TPd/(TPd+FNd).</summary>
    public static double RD(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, "DLA");
        return Difference(Divide(a.TP, a.TP + a.FN), Divide(d.TP, d.TP + d.FN));
    }

    /// <summary>Specificity Difference: TNd/(TNd+FPd) − TNa/(TNa+FPa).</summary>
    public static double SD(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, "DLA");
        var spA = Divide(a.TN, a.TN + a.FP);
        var spD = Divide(d.TN, d.TN + d.FP);
        return spA == spD && double.IsPositiveInfinity(spA) ? 0 : spD - spA;
    }

    /// <summary>Difference in Acceptance Rates (precision): TPa/na(1̂) − TPd/nd(1̂).</summary>
    public static double DAR(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, "DLR");
        return Difference(Divide(a.TP, a.TP + a.FP), Divide(d.TP, d.TP + d.FP));
    }

    /// <summary>Difference in Rejection Rates: TNd/nd(0̂) − TNa/na(0̂).</summary>
    public static double DRR(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, "DLR");
        var rrA = Divide(a.TN, a.TN + a.FN);
        var rrD = Divide(d.TN, d.TN + d.FN);
        return rrA == rrD && double.IsPositiveInfinity(rrA) ? 0 : rrD - rrA;
    }

    /// <summary>Accuracy Difference: accuracy of a − accuracy of d.</summary>
    public static double AD(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, null);
        return Difference(Divide(a.TP + a.TN, a.Total), Divide(d.TP + d.TN, d.Total));
    }

    /// <summary>Treatment Equality: FNd/FPd − FNa/FPa.</summary>
    public static double TE(bool[] facet, bool[] label, bool[] predicted)
    {
        var (a, d) = Groups(facet, label, predicted, null);
        var tauA = Divide(a.FN, a.FP);
        var tauD = Divide(d.FN, d.FP);
        return tauA == tauD && double.IsPositiveInfinity(tauA) ? 0 : tauD - tauA;
    }

    public static double CDDPL(bool[] facet, bool[] predicted, int[]? groups) => PreTrainingMetrics.CDD(facet, predicted, groups);

    /// <summary>
    /// Generalized Entropy with α = 2 over the benefits b = ŷ − y + 1: Σ((b/mean b)² − 1) / (2n).
    /// It does not depend on the facet.
    /// </summary>
    public static double GE(bool[] label, bool[] predicted)
    {
        var n = label.Length;
        if (n == 0)
        {
            throw new BiasMetricException("dataset must be non-empty");
        }
        var benefits = label.Select((y, i) => (predicted[i] ? 1 : 0) - (y ? 1 : 0) + 1.0).ToArray();
        var mean = benefits.Average();
        if (mean == 0)
        {
            throw new BiasMetricException(
                "All predicted labels are false negatives. There should be at least one prediction that is not false negative.");
        }
        return benefits.Sum(b => ((b / mean) * (b / mean)) - 1) / (n * 2.0);
    }

    private readonly record struct Confusion(int TP, int FP, int FN, int TN)
    {
        public int Total => TP + FP + FN + TN;
    }

    private static (Confusion A, Confusion D) Groups(bool[] facet, bool[] label, bool[] predicted, string? prefix)
    {
        var p = prefix is null ? "" : prefix + ": ";
        RequireBothGroups(facet, $"{p}Negated Facet set is empty", $"{p}Facet set is empty");
        Confusion Of(bool group) => new(
            Count(label, true, predicted, true, facet, group),
            Count(label, false, predicted, true, facet, group),
            Count(label, true, predicted, false, facet, group),
            Count(label, false, predicted, false, facet, group));
        return (Of(false), Of(true));
    }

    private static void RequireBothGroups(bool[] facet, string noA, string noD)
    {
        if (Count(facet, true) == 0)
        {
            throw new BiasMetricException(noD);
        }
        if (Count(facet, false) == 0)
        {
            throw new BiasMetricException(noA);
        }
    }
}
