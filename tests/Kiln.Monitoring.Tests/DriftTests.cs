using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.Drift;
using Xunit.Abstractions;

namespace Kiln.Monitoring.Tests;

public sealed class DriftTests(ITestOutputHelper output)
{
    private static readonly BaselineResult Baseline = DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(Data.Text(Data.Csv(5000, seed: 1)), header: true));

    private static DataQualityResult Window(string csv, ComparisonMethod method = ComparisonMethod.Robust, CategoricalDriftMethod categorical = CategoricalDriftMethod.LInfinity)
    {
        var constraints = Baseline.Constraints with
        {
            MonitoringConfig = Baseline.Constraints.MonitoringConfig with
            {
                DistributionConstraints = new DistributionConstraints(ComparisonMethod: method, CategoricalDriftMethod: categorical),
            },
        };
        return DataQualityMonitor.Analyze(DatasetSource.Csv(Data.Text(csv), header: true), constraints, Baseline.Statistics);
    }

    [Theory]
    [InlineData(ComparisonMethod.Robust)]
    [InlineData(ComparisonMethod.Simple)]
    public void Twenty_windows_from_the_baseline_distribution_raise_at_most_one_false_alarm_in_twenty(ComparisonMethod method)
    {
        var alarms = 0;
        var largest = 0.0;
        for (var seed = 100; seed < 120; seed++)
        {
            var result = Window(Data.Csv(1000, seed), method);
            largest = Math.Max(largest, result.Drift.Features.Max(f => f.Distance));
            Assert.DoesNotContain(result.Violations, v => v.ConstraintCheckType != CheckTypes.BaselineDrift);
            alarms += result.Violations.Any(v => v.ConstraintCheckType == CheckTypes.BaselineDrift) ? 1 : 0;
        }

        output.WriteLine($"{method}: {alarms} of 20 windows from the baseline distribution flagged; largest distance {largest:F4} (threshold 0.1)");
        Assert.True(alarms <= 1, $"{alarms} of 20 windows from the baseline distribution were flagged as drifted");
    }

    [Theory]
    [InlineData(ComparisonMethod.Robust)]
    [InlineData(ComparisonMethod.Simple)]
    public void A_shifted_feature_is_flagged_and_only_that_feature(ComparisonMethod method)
    {
        var result = Window(Data.Csv(1000, seed: 7, shiftX1: 0.75), method);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(("x1", CheckTypes.BaselineDrift), (violation.FeatureName, violation.ConstraintCheckType));
        Assert.StartsWith("Baseline drift distance: ", violation.Description, StringComparison.Ordinal);

        var x1 = result.Drift.Feature("x1")!;
        Assert.True(x1.KolmogorovSmirnovPValue < 1e-6, $"KS p {x1.KolmogorovSmirnovPValue}");
        Assert.True(x1.PopulationStabilityIndex > 0.25, $"PSI {x1.PopulationStabilityIndex}");
        Assert.InRange(x1.LInfinity, 0.2, 0.4); // Φ(0.375) − Φ(−0.375) ≈ 0.29 for a 0.75 σ shift
        var x2 = result.Drift.Feature("x2")!;
        Assert.True(x2.KolmogorovSmirnovPValue > 1e-3, $"KS p of an unshifted feature {x2.KolmogorovSmirnovPValue}");
        Assert.True(x2.PopulationStabilityIndex < 0.1);
    }

    [Theory]
    [InlineData(CategoricalDriftMethod.LInfinity)]
    [InlineData(CategoricalDriftMethod.ChiSquared)]
    public void A_categorical_feature_whose_shares_move_is_flagged(CategoricalDriftMethod method)
    {
        var same = Window(Data.Csv(1000, seed: 8), categorical: method);
        if (method == CategoricalDriftMethod.LInfinity)
        {
            // With ChiSquared the threshold is a significance level: an unchanged feature is flagged 10 % of the time.
            Assert.DoesNotContain(same.Violations, v => v.FeatureName == "color");
        }

        var moved = Window(Data.Csv(1000, seed: 8, colorShares: [0.2, 0.3, 0.5]), categorical: method);
        var violation = Assert.Single(moved.Violations);
        Assert.Equal(("color", CheckTypes.BaselineDrift), (violation.FeatureName, violation.ConstraintCheckType));
        var color = moved.Drift.Feature("color")!;
        Assert.Equal(FeatureKind.Categorical, color.Kind);
        Assert.InRange(color.LInfinity, 0.25, 0.35);
        Assert.True(color.ChiSquarePValue < 1e-6);
        Assert.True(color.JensenShannon > same.Drift.Feature("color")!.JensenShannon * 10);
    }

    [Fact]
    public void Drift_is_compared_against_a_baseline_read_back_from_its_statistics_json()
    {
        var reread = Kiln.Monitoring.Statistics.StatisticsJson.Parse(Baseline.StatisticsJson);
        var result = DataQualityMonitor.Analyze(DatasetSource.Csv(Data.Text(Data.Csv(1000, seed: 9, shiftX1: 0.75)), header: true), Baseline.Constraints, reread);
        Assert.Equal("x1", Assert.Single(result.Violations).FeatureName);
    }

    [Fact]
    public void Distances_agree_with_reference_values()
    {
        // scipy: kstwo-based asymptotic p of D = 0.1 with n = m = 1000 is about 0.0000 .. 0.0001 scale; check known points.
        Assert.Equal(1, Distances.KolmogorovSmirnovPValue(0, 100, 100));
        Assert.InRange(Distances.KolmogorovSmirnovPValue(0.0607, 1000, 1000), 0.04, 0.06); // critical value at 5 %
        Assert.Equal(0, Distances.LInfinityRobust(0.05, 1000, 1000));
        Assert.Equal(0.3 - (1.3581 * Math.Sqrt(2.0 / 1000)), Distances.LInfinityRobust(0.3, 1000, 1000), 9);

        // Pearson's chi-square: 60/40 observed against 50/50 expected is 4.0 on 1 degree of freedom, p = 0.0455.
        var (chi, p) = Distances.ChiSquare(
            [new("a", 50), new("b", 50)],
            [new("a", 60), new("b", 40)]);
        Assert.Equal(4.0, chi, 9);
        Assert.Equal(0.0455, p, 4);

        Assert.Equal(0, Distances.JensenShannon([0.5, 0.5], [0.5, 0.5]), 12);
        Assert.Equal(1, Distances.JensenShannon([1, 0], [0, 1]), 12);
        Assert.Equal((0.6 - 0.5) * Math.Log(0.6 / 0.5) + (0.4 - 0.5) * Math.Log(0.4 / 0.5), Distances.PopulationStabilityIndex([0.5, 0.5], [0.6, 0.4]), 12);
    }
}
