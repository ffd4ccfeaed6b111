using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Model Monitor's analyzer and Clarify as processing jobs through boto3 (tests/clients/boto3/sagemaker_monitoring.py).</summary>
public sealed class MonitoringTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_analyzer_suggests_a_baseline_and_flags_only_the_drifted_feature")]
    [InlineData("test_analyzer_and_clarify_fail_clearly_on_bad_input")]
    [InlineData("test_clarify_pre_training_bias_matches_the_published_formulas")]
    [InlineData("test_clarify_post_training_bias_and_shap_call_the_endpoint")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_monitoring.py", test, TimeSpan.FromMinutes(5));
}
