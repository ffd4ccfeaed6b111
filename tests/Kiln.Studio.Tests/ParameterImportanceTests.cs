using Kiln.Studio.Data;

namespace Kiln.Studio.Tests;

/// <summary>The tuning page's parameter importance: |Spearman ρ| for numeric parameters, η for categorical ones.</summary>
public sealed class ParameterImportanceTests
{
    private static (IReadOnlyDictionary<string, string>, double) Trial(double objective, params (string Name, string Value)[] parameters) =>
        (parameters.ToDictionary(p => p.Name, p => p.Value), objective);

    [Fact]
    public void A_monotonic_numeric_parameter_scores_1_whatever_its_direction_and_scale_and_weaker_ones_score_less()
    {
        var importance = ParameterImportanceCalculator.Compute(
        [
            Trial(0.9, ("eta", "0.001"), ("depth", "3"), ("noise", "2")),
            Trial(0.5, ("eta", "0.01"), ("depth", "5"), ("noise", "1")),
            Trial(0.3, ("eta", "0.1"), ("depth", "4"), ("noise", "4")),
            Trial(0.1, ("eta", "1"), ("depth", "6"), ("noise", "3")),
        ]);

        Assert.Equal("eta", importance[0].Parameter);
        Assert.Equal(1.0, importance[0].Score!.Value, 6);
        Assert.Equal(ParameterImportanceCalculator.Spearman, importance[0].Method);
        Assert.Equal(0.8, importance.Single(i => i.Parameter == "depth").Score!.Value, 6);
        Assert.Equal(0.6, importance.Single(i => i.Parameter == "noise").Score!.Value, 6);
    }

    [Fact]
    public void Ties_share_their_average_rank()
    {
        Assert.Equal([1.5, 1.5, 3.0, 4.0], ParameterImportanceCalculator.Ranks([2.0, 2.0, 5.0, 7.0]));
    }

    [Fact]
    public void A_categorical_parameter_scores_the_share_of_variance_its_categories_explain()
    {
        var separating = ParameterImportanceCalculator.Compute(
            [Trial(1, ("booster", "gbtree")), Trial(1, ("booster", "gbtree")), Trial(3, ("booster", "dart")), Trial(3, ("booster", "dart"))]);
        var useless = ParameterImportanceCalculator.Compute(
            [Trial(1, ("booster", "gbtree")), Trial(3, ("booster", "gbtree")), Trial(1, ("booster", "dart")), Trial(3, ("booster", "dart"))]);

        Assert.Equal(ParameterImportanceCalculator.CorrelationRatio, separating[0].Method);
        Assert.Equal(1.0, separating[0].Score!.Value, 6);
        Assert.Equal(0.0, useless[0].Score!.Value, 6);
    }

    [Fact]
    public void Fewer_than_three_trials_or_a_constant_objective_give_no_score()
    {
        Assert.Null(ParameterImportanceCalculator.Compute([Trial(1, ("eta", "0.1")), Trial(2, ("eta", "0.2"))])[0].Score);
        Assert.Null(ParameterImportanceCalculator.Compute([Trial(1, ("eta", "0.1")), Trial(1, ("eta", "0.2")), Trial(1, ("eta", "0.3"))])[0].Score);
    }
}
