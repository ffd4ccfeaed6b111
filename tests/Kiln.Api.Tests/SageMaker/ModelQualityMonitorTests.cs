using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Model Monitor's model quality job definitions and their executions through boto3 (tests/clients/boto3/sagemaker_model_quality.py).</summary>
public sealed class ModelQualityMonitorTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_metrics_match_and_bad_predictions_violate")]
    [InlineData("test_bad_input_is_refused_or_fails_with_a_clear_reason")]
    [InlineData("test_a_batch_transform_capture_with_inference_ids_is_merged_with_ground_truth")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_model_quality.py", test, TimeSpan.FromMinutes(3));
}
