using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Endpoints and batch transform through boto3: variants, traffic split, capture, updates, shadows, errors.</summary>
public sealed class HostingTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_two_variants_split_traffic_capture_and_match_offline_predictions")]
    [InlineData("test_weights_move_traffic_and_canary_update_drops_no_request")]
    [InlineData("test_failed_update_rolls_back_to_the_old_fleet")]
    [InlineData("test_shadow_variant_gets_a_copy_and_is_never_returned")]
    [InlineData("test_batch_transform_filters_and_joins")]
    [InlineData("test_bad_invocations_get_sagemaker_errors_and_the_endpoint_keeps_serving")]
    [InlineData("test_control_plane_validation")]
    [InlineData("test_onnx_model_built_elsewhere_serves_correct_outputs")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_hosting.py", test, TimeSpan.FromMinutes(5));
}
