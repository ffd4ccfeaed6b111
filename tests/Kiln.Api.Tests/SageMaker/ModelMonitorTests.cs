using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Model Monitor's data quality job definitions, schedules and executions through boto3 (tests/clients/boto3/sagemaker_model_monitor.py).</summary>
public sealed class ModelMonitorTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_schedule_flags_only_the_shifted_feature")]
    [InlineData("test_definition_naming_only_its_baselining_job_compares_with_that_jobs_baseline")]
    [InlineData("test_bad_input_is_refused_and_nothing_is_stored")]
    [InlineData("test_a_batch_transform_capture_is_monitored")]
    [InlineData("test_a_batch_transform_capture_with_a_shifted_feature_violates_the_baseline")]
    [InlineData("test_an_inline_job_definition_runs_and_is_described")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_model_monitor.py", test, TimeSpan.FromMinutes(8));
}
