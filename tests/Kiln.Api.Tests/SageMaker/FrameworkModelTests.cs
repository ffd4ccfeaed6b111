using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Framework models through boto3: a scikit-learn estimator's model deployed with its inference handlers, defaults, errors, worker restarts.</summary>
public sealed class FrameworkModelTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_sklearn_estimator_deploy_predict_capture_and_transform")]
    [InlineData("test_defaults_serve_a_model_with_only_model_fn")]
    [InlineData("test_handler_errors_are_model_errors_and_a_killed_worker_is_replaced")]
    [InlineData("test_a_request_over_the_timeout_is_a_model_error_and_its_worker_is_replaced")]
    [InlineData("test_models_that_cannot_serve_fail_the_endpoint_with_the_reason")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_framework_models.py", test, TimeSpan.FromMinutes(5));
}
