using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Model Monitor's alerts, their history and the metric series over HTTP through boto3 (tests/clients/boto3/sagemaker_monitoring_alerts.py).</summary>
public sealed class MonitoringAlertsTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_drift_raises_an_alert_with_history_series_and_report")]
    [InlineData("test_deleting_a_schedule_forgets_its_alerts_history_and_series")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_monitoring_alerts.py", test, TimeSpan.FromMinutes(8));
}
