using System.Text.Json;
using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;

namespace Kiln.Monitoring.Tests;

public sealed class ViolationTests
{
    private const string Baseline = "id,score,color\n1,0.5,red\n2,1.5,blue\n3,2.5,red\n4,3.5,blue\n";

    private static readonly BaselineResult Suggested = DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(Data.Text(Baseline), header: true));

    private static List<Violation> Check(string window, DataQualityConstraints? constraints = null) =>
        DataQualityMonitor.Analyze(DatasetSource.Csv(Data.Text(window), header: true), constraints ?? NoDrift, Suggested.Statistics).Violations.ToList();

    // Four baseline rows are too few for a distribution comparison; drift has its own tests.
    private static DataQualityConstraints NoDrift => Suggested.Constraints with
    {
        MonitoringConfig = Suggested.Constraints.MonitoringConfig with { DistributionConstraints = new DistributionConstraints(PerformComparison: false) },
    };

    [Fact]
    public void A_window_like_the_baseline_has_no_violations()
    {
        Assert.Empty(Check("id,score,color\n5,0.1,blue\n6,9.5,red\n"));
    }

    [Fact]
    public void Data_type_check_flags_fractional_values_in_an_integral_feature_beyond_the_threshold()
    {
        var violation = Assert.Single(Check("id,score,color\n5.5,0.1,blue\n6,0.2,red\n"));
        Assert.Equal(("id", CheckTypes.DataType), (violation.FeatureName, violation.ConstraintCheckType));
        Assert.Contains("Expected data type: Integral", violation.Description, StringComparison.Ordinal);

        // One fractional value in twenty is within datatype_check_threshold 0.1.
        var rows = string.Concat(Enumerable.Range(0, 19).Select(i => $"{i},0.1,red\n"));
        Assert.Empty(Check("id,score,color\n" + rows + "7.5,0.1,red\n"));
    }

    [Fact]
    public void Completeness_check_flags_a_feature_missing_more_often_than_in_the_baseline()
    {
        var violation = Assert.Single(Check("id,score,color\n5,,blue\n6,0.2,red\n"));
        Assert.Equal(("score", CheckTypes.Completeness), (violation.FeatureName, violation.ConstraintCheckType));
        Assert.Contains("Observed: Only 50.0% of data is complete", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_extra_column_checks_name_the_columns()
    {
        var missing = Assert.Single(Check("id,score\n5,0.1\n"));
        Assert.Equal(("color", CheckTypes.MissingColumn), (missing.FeatureName, missing.ConstraintCheckType));

        var extra = Assert.Single(Check("id,score,color,size\n5,0.1,red,3\n"));
        Assert.Equal(("size", CheckTypes.ExtraColumn), (extra.FeatureName, extra.ConstraintCheckType));
    }

    [Fact]
    public void Categorical_values_check_flags_values_outside_the_domain_beyond_the_threshold()
    {
        var violation = Assert.Single(Check("id,score,color\n5,0.1,green\n6,0.2,red\n"));
        Assert.Equal(("color", CheckTypes.CategoricalValues), (violation.FeatureName, violation.ConstraintCheckType));

        var rows = string.Concat(Enumerable.Range(0, 19).Select(i => $"{i},0.1,blue\n"));
        Assert.Empty(Check("id,score,color\n" + rows + "20,0.1,green\n"));
    }

    [Fact]
    public void Evaluate_constraints_disabled_reports_nothing()
    {
        var off = Suggested.Constraints with { MonitoringConfig = Suggested.Constraints.MonitoringConfig with { EvaluateConstraints = false } };
        Assert.Empty(Check("id,score\n5.5,\n", off));
    }

    [Fact]
    public void Violations_json_has_model_monitors_schema()
    {
        var result = DataQualityMonitor.Analyze(DatasetSource.Csv(Data.Text("id,score\n5.5,0.1\n"), header: true), NoDrift, null);
        using var document = JsonDocument.Parse(result.ViolationsJson);
        var violations = document.RootElement.GetProperty("violations");
        Assert.Equal(2, violations.GetArrayLength());
        Assert.Equal(
            [("id", "data_type_check"), ("color", "missing_column_check")],
            violations.EnumerateArray().Select(v => (v.GetProperty("feature_name").GetString(), v.GetProperty("constraint_check_type").GetString())));
        Assert.All(violations.EnumerateArray(), v => Assert.False(string.IsNullOrEmpty(v.GetProperty("description").GetString())));
    }
}
