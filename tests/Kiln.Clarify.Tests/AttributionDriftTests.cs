using Kiln.Clarify.Explainability;

namespace Kiln.Clarify.Tests;

public sealed class AttributionDriftTests
{
    [Fact]
    public void The_documented_college_admission_reversal_scores_below_the_threshold()
    {
        // SageMaker's example: SAT 0.70 → 0.10, GPA 0.50 → 0.20, class rank 0.05 → 0.70.
        var training = new Dictionary<string, double> { ["sat"] = 0.70, ["gpa"] = 0.50, ["rank"] = 0.05 };
        var live = new Dictionary<string, double> { ["sat"] = 0.10, ["gpa"] = 0.20, ["rank"] = 0.70 };
        var ideal = 0.70 + 0.50 / Math.Log2(3) + 0.05 / 2;
        var actual = 0.05 + 0.50 / Math.Log2(3) + 0.70 / 2;

        Assert.Equal(actual / ideal, AttributionDrift.Ndcg(training, live), 12);
        Assert.True(AttributionDrift.Ndcg(training, live) < AttributionDrift.DefaultThreshold);
    }

    [Fact]
    public void The_same_ranking_scores_one_whatever_the_magnitudes()
    {
        var baseline = new Dictionary<string, double> { ["a"] = 3, ["b"] = 2, ["c"] = 1 };
        var current = new Dictionary<string, double> { ["a"] = 0.3, ["b"] = -0.2, ["c"] = 0.01 };

        Assert.Equal(1.0, AttributionDrift.Ndcg(baseline, current), 12);
    }

    [Fact]
    public void Swapping_the_two_least_important_features_costs_less_than_swapping_the_two_most()
    {
        var baseline = new Dictionary<string, double> { ["a"] = 4, ["b"] = 3, ["c"] = 2, ["d"] = 1 };
        var topSwapped = new Dictionary<string, double> { ["a"] = 3, ["b"] = 4, ["c"] = 2, ["d"] = 1 };
        var bottomSwapped = new Dictionary<string, double> { ["a"] = 4, ["b"] = 3, ["c"] = 1, ["d"] = 2 };

        Assert.True(AttributionDrift.Ndcg(baseline, bottomSwapped) > AttributionDrift.Ndcg(baseline, topSwapped));
        Assert.True(AttributionDrift.Ndcg(baseline, topSwapped) < 1);
    }

    [Fact]
    public void A_feature_missing_from_the_current_attributions_ranks_last()
    {
        var baseline = new Dictionary<string, double> { ["a"] = 2, ["b"] = 1 };
        var current = new Dictionary<string, double> { ["b"] = 1 };

        Assert.Equal((1 + 2 / Math.Log2(3)) / (2 + 1 / Math.Log2(3)), AttributionDrift.Ndcg(baseline, current), 12);
    }
}
