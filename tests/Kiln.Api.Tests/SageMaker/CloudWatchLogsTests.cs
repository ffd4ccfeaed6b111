using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Job and endpoint logs through boto3's CloudWatch Logs client on Kiln's endpoint, as the SageMaker SDK and the AWS CLI read them.</summary>
public sealed class CloudWatchLogsTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_training_logs_arrive_live_as_the_sdk_reads_them")]
    [InlineData("test_filter_log_events_as_the_cli_does")]
    [InlineData("test_processing_and_transform_logs")]
    [InlineData("test_bad_input")]
    [InlineData("test_endpoint_replicas_log_their_model_loading")]
    [InlineData("test_framework_model_prints_and_tracebacks_reach_the_endpoint_log")]
    [InlineData("test_endpoint_log_bad_input")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_logs.py", test);
}
