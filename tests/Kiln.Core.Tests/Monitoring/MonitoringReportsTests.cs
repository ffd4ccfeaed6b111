using Kiln.Core.Monitoring;

namespace Kiln.Core.Tests.Monitoring;

/// <summary>Execution reports read into metric points and violations: data quality's features, model quality's metric objects, Kiln's drift report.</summary>
public sealed class MonitoringReportsTests
{
    private const string DataQualityStatistics = """
        {"version": 0.0, "dataset": {"item_count": 4}, "features": [
          {"name": "age", "inferred_type": "Fractional", "numerical_statistics": {"common": {"num_present": 3, "num_missing": 1},
            "mean": 40.5, "sum": 121.5, "std_dev": 2.5, "min": 38, "max": 43, "distribution": {"kll": {"buckets": []}}}},
          {"name": "state", "inferred_type": "String", "string_statistics": {"common": {"num_present": 4, "num_missing": 0}, "distinct_count": 2}},
          {"name": "broken", "inferred_type": "Fractional", "numerical_statistics": {"common": {"num_present": 0, "num_missing": 0}, "mean": "NaN"}}
        ]}
        """;

    [Fact]
    public void Data_quality_statistics_give_completeness_and_moments_per_feature()
    {
        var points = MonitoringReports.ReadPoints(DataQualityStatistics, null).ToDictionary(point => point.Metric, point => point.Value);

        Assert.Equal(0.75, points["age.completeness"]);
        Assert.Equal(40.5, points["age.mean"]);
        Assert.Equal(2.5, points["age.stddev"]);
        Assert.Equal(38, points["age.min"]);
        Assert.Equal(43, points["age.max"]);
        Assert.Equal(1.0, points["state.completeness"]);
        Assert.DoesNotContain("state.mean", points.Keys);
        Assert.DoesNotContain(points.Keys, metric => metric.StartsWith("broken.", StringComparison.Ordinal));
    }

    [Fact]
    public void Drift_report_adds_each_features_distance()
    {
        const string drift = """{"features": [{"feature_name": "age", "drift_distance": 0.42, "threshold": 0.1, "drifted": true}]}""";

        var point = Assert.Single(MonitoringReports.ReadPoints(null, drift));

        Assert.Equal(new MetricPoint("age.drift_distance", "age", 0.42), point);
    }

    [Fact]
    public void Model_quality_statistics_give_one_point_per_metric_of_any_problem_type()
    {
        const string statistics = """
            {"version": 0.0, "dataset": {"item_count": 10},
             "binary_classification_metrics": {"accuracy": {"value": 0.9, "standard_deviation": 0.01}, "f1": {"value": 0.8, "standard_deviation": 0.02},
               "confusion_matrix": {"0": {"0": 5}}},
             "regression_metrics": {"rmse": {"value": 1.5, "standard_deviation": 0.1}}}
            """;

        var points = MonitoringReports.ReadPoints(statistics, null);

        Assert.Equal(["accuracy", "f1", "rmse"], points.Select(point => point.Metric).Order(StringComparer.Ordinal));
        Assert.Equal(0.9, points.Single(point => point.Metric == "accuracy").Value);
        Assert.All(points, point => Assert.Equal(point.Metric, point.Subject));
    }

    [Fact]
    public void Violations_name_a_feature_or_a_metric_and_bad_json_gives_nothing()
    {
        const string violations = """
            {"violations": [
              {"feature_name": "age", "constraint_check_type": "baseline_drift_check", "description": "drifted"},
              {"metric_name": "accuracy", "constraint_check_type": "LessThanThreshold", "description": "too low"}]}
            """;

        Assert.Equal(
            [new MetricViolation("age", "baseline_drift_check", "drifted"), new MetricViolation("accuracy", "LessThanThreshold", "too low")],
            MonitoringReports.ReadViolations(violations));
        Assert.Empty(MonitoringReports.ReadViolations("{not json"));
        Assert.Empty(MonitoringReports.ReadPoints("[]", null));
    }

    [Fact]
    public void A_point_is_violated_when_a_violation_names_its_subject()
    {
        var results = new ExecutionResults
        {
            ScheduleName = "s",
            ScheduledTime = DateTimeOffset.UnixEpoch,
            CreationTime = DateTimeOffset.UnixEpoch,
            Violations = [new MetricViolation("age", "baseline_drift_check", "drifted")],
        };

        Assert.True(results.Violated(new MetricPoint("age.mean", "age", 1)));
        Assert.False(results.Violated(new MetricPoint("state.completeness", "state", 1)));
    }
}
