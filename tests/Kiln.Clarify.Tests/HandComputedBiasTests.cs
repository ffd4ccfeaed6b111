using Kiln.Clarify.Bias;

namespace Kiln.Clarify.Tests;

/// <summary>Small tables worked out by hand from the published Clarify formulas.</summary>
public sealed class HandComputedBiasTests
{
    // 10 people: rows 0-5 are group a (facet false), rows 6-9 group d (facet true).
    // Labels: a has 4 positives of 6, d has 1 of 4.
    private static readonly bool[] Facet = [false, false, false, false, false, false, true, true, true, true];
    private static readonly bool[] Label = [true, true, true, true, false, false, true, false, false, false];
    // Predictions: a: rows 0,1,2,4 positive (TP 3, FP 1, FN 1, TN 1); d: rows 6,7 positive (TP 1, FP 1, FN 0, TN 2).
    private static readonly bool[] Predicted = [true, true, true, false, true, false, true, true, false, false];

    [Fact]
    public void Class_imbalance_is_the_normalised_difference_in_group_sizes()
    {
        Assert.Equal((6 - 4) / 10.0, PreTrainingMetrics.CI(Facet), 12);
    }

    [Fact]
    public void Difference_in_positive_proportions_compares_positive_rates()
    {
        Assert.Equal((4 / 6.0) - (1 / 4.0), PreTrainingMetrics.DPL(Facet, Label), 12);
    }

    [Fact]
    public void Divergences_compare_the_two_label_distributions()
    {
        double[] pa = [2 / 6.0, 4 / 6.0];
        double[] pd = [3 / 4.0, 1 / 4.0];
        var kl = (pa[0] * Math.Log(pa[0] / pd[0])) + (pa[1] * Math.Log(pa[1] / pd[1]));
        Assert.Equal(kl, PreTrainingMetrics.KL(Facet, Label), 12);
        double[] p = [(pa[0] + pd[0]) / 2, (pa[1] + pd[1]) / 2];
        var js = 0.5 * ((pa[0] * Math.Log(pa[0] / p[0])) + (pa[1] * Math.Log(pa[1] / p[1])) + (pd[0] * Math.Log(pd[0] / p[0])) + (pd[1] * Math.Log(pd[1] / p[1])));
        Assert.Equal(js, PreTrainingMetrics.JS(Facet, Label), 12);
        var diff = Math.Abs(pa[1] - pd[1]);
        Assert.Equal(Math.Sqrt(2) * diff, PreTrainingMetrics.LP(Facet, Label), 12);
        Assert.Equal(diff, PreTrainingMetrics.TVD(Facet, Label), 12);
        Assert.Equal(diff, PreTrainingMetrics.KS(Facet, Label), 12);
    }

    [Fact]
    public void Disparate_impact_is_the_ratio_of_predicted_positive_rates()
    {
        Assert.Equal((2 / 4.0) / (4 / 6.0), PostTrainingMetrics.DI(Facet, Predicted), 12);
        Assert.Equal((4 / 6.0) - (2 / 4.0), PostTrainingMetrics.DPPL(Facet, Predicted), 12);
    }

    [Fact]
    public void Confusion_matrix_metrics_follow_their_definitions()
    {
        // a: TP 3, FP 1, FN 1, TN 1; d: TP 1, FP 1, FN 0, TN 2.
        Assert.Equal((3 / 4.0) - (1 / 1.0), PostTrainingMetrics.RD(Facet, Label, Predicted), 12);
        Assert.Equal((2 / 3.0) - (1 / 2.0), PostTrainingMetrics.SD(Facet, Label, Predicted), 12);
        Assert.Equal((3 / 4.0) - (1 / 2.0), PostTrainingMetrics.DAR(Facet, Label, Predicted), 12);
        Assert.Equal((2 / 2.0) - (1 / 2.0), PostTrainingMetrics.DRR(Facet, Label, Predicted), 12);
        Assert.Equal((4 / 4.0) - (1 / 2.0), PostTrainingMetrics.DCA(Facet, Label, Predicted), 12);
        Assert.Equal((3 / 2.0) - (2 / 2.0), PostTrainingMetrics.DCR(Facet, Label, Predicted), 12);
        Assert.Equal((4 / 6.0) - (3 / 4.0), PostTrainingMetrics.AD(Facet, Label, Predicted), 12);
        Assert.Equal((0 / 1.0) - (1 / 1.0), PostTrainingMetrics.TE(Facet, Label, Predicted), 12);
    }

    [Fact]
    public void Generalized_entropy_uses_benefits_of_predictions_over_labels()
    {
        // benefit = ŷ − y + 1: FP → 2, FN → 0, otherwise 1. Here FP 2, FN 1, 7 others: mean 1.1.
        double[] b = [1, 1, 1, 0, 2, 1, 1, 2, 1, 1];
        var mean = b.Average();
        var expected = b.Sum(x => ((x / mean) * (x / mean)) - 1) / (10 * 2.0);
        Assert.Equal(expected, PostTrainingMetrics.GE(Label, Predicted), 12);
    }

    [Fact]
    public void Conditional_demographic_disparity_weights_each_group_by_its_size()
    {
        // Group 0 = rows 0-4 (d: none) and group 1 = rows 5-9 (d: 6-9).
        int[] groups = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        // Group 0: accepted rows 0-3 (no d), rejected row 4 (no d): DD = 0 − 0.
        // Group 1: accepted row 6 (d) → 1/1; rejected rows 5,7,8,9 → d share 3/4: DD = 3/4 − 1.
        var expected = ((5 * 0.0) + (5 * (0.75 - 1.0))) / 10;
        Assert.Equal(expected, PreTrainingMetrics.CDD(Facet, Label, groups), 12);
    }

    [Fact]
    public void Empty_groups_and_zero_denominators_follow_clarify()
    {
        bool[] nobody = [false, false, false];
        Assert.Throws<BiasMetricException>(() => PreTrainingMetrics.CI(nobody));
        Assert.Throws<BiasMetricException>(() => PostTrainingMetrics.DI(nobody, [true, false, true]));
        Assert.Throws<BiasMetricException>(() => PreTrainingMetrics.CDD(Facet, Label, null));
        // d has no predicted positives: DI = 0 / qa = 0; a has none either: 0/0 = 0.
        Assert.Equal(0, PostTrainingMetrics.DI([true, false], [false, true]));
        Assert.Equal(0, PostTrainingMetrics.DI([true, false], [false, false]));
        // a has no predicted positives but d does: infinite disparate impact.
        Assert.Equal(double.PositiveInfinity, PostTrainingMetrics.DI([true, false], [true, false]));
    }

    [Fact]
    public void Flip_test_counts_disagreements_with_the_nearest_neighbours_of_the_other_group()
    {
        // a: four points; those near 0 predicted negative, near 10 positive (k = 1 as a has fewer than 10 members).
        bool[] facet = [false, false, false, false, true, true, true];
        double[][] x = [[0], [1], [10], [11], [0.5], [10.5], [9]];
        bool[] predicted = [false, false, true, true, true, true, false];
        // d: 0.5 predicted positive, neighbours say negative → +1; 10.5 agrees; 9 predicted negative, neighbours positive → −1.
        Assert.Equal((1 - 1) / 3.0, FlipTest.FT(facet, predicted, x, null), 12);
        bool[] predicted2 = [false, false, true, true, true, true, true];
        Assert.Equal(1 / 3.0, FlipTest.FT(facet, predicted2, x, null), 12);
        Assert.Throws<BiasMetricException>(() => FlipTest.FT(facet, predicted, null, "FlipTest does not support non-numeric columns"));
    }
}
