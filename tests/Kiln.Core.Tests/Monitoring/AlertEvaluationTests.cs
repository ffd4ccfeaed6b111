using Kiln.Core.Monitoring;

namespace Kiln.Core.Tests.Monitoring;

/// <summary>An alert is InAlert when at least DatapointsToAlert of the last EvaluationPeriod executions violated its check.</summary>
public sealed class AlertEvaluationTests
{
    [Fact]
    public void One_of_one_follows_the_latest_execution_only()
    {
        Assert.Equal(MonitoringAlertStatus.InAlert, AlertEvaluation.Evaluate([true, false, false], 1, 1));
        Assert.Equal(MonitoringAlertStatus.OK, AlertEvaluation.Evaluate([false, true, true], 1, 1));
    }

    [Fact]
    public void Two_of_three_needs_two_violations_within_the_newest_three()
    {
        Assert.Equal(MonitoringAlertStatus.InAlert, AlertEvaluation.Evaluate([true, false, true], 2, 3));
        Assert.Equal(MonitoringAlertStatus.OK, AlertEvaluation.Evaluate([true, false, false, true], 2, 3));
        Assert.Equal(MonitoringAlertStatus.InAlert, AlertEvaluation.Evaluate([false, true, true, false], 2, 3));
    }

    [Fact]
    public void Fewer_executions_than_the_period_count_only_those_there_are()
    {
        Assert.Equal(MonitoringAlertStatus.OK, AlertEvaluation.Evaluate([true], 2, 3));
        Assert.Equal(MonitoringAlertStatus.InAlert, AlertEvaluation.Evaluate([true, true], 2, 3));
        Assert.Equal(MonitoringAlertStatus.OK, AlertEvaluation.Evaluate([], 1, 1));
    }

    [Theory]
    [InlineData("baseline_drift_check", "baseline-drift-check")]
    [InlineData("f1", "f1")]
    [InlineData("_weird name_", "weird-name")]
    public void Alert_names_replace_what_SageMaker_names_disallow_with_hyphens(string check, string alert) =>
        Assert.Equal(alert, MonitoringAlertsService.AlertNameOf(check));
}
