using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Script mode through boto3: a SageMaker scikit-learn script unchanged, the container contract, failures, stop.</summary>
public sealed class ScriptModeTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_sklearn_script_runs_unchanged")]
    [InlineData("test_container_contract")]
    [InlineData("test_failures_and_the_failure_file")]
    [InlineData("test_stop_ends_a_running_job")]
    [InlineData("test_invalid_metric_regex_and_missing_entry_point")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_script_mode.py", test);
}
