using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Pipelines, processing jobs and the shared registry through boto3 (tests/clients/boto3/sagemaker_pipelines.py).</summary>
public sealed class PipelineTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_churn_pipeline_registers_deploys_on_approval_and_reruns_from_cache")]
    [InlineData("test_low_auc_takes_the_fail_branch")]
    [InlineData("test_stop_and_retry")]
    [InlineData("test_bad_definitions_are_validation_exceptions_and_create_nothing")]
    [InlineData("test_mlflow_versions_are_model_packages_and_the_reverse")]
    [InlineData("test_processing_jobs_alone")]
    [InlineData("test_lineage_entities_and_queries")]
    [InlineData("test_approval_starts_the_configured_pipeline")]
    [InlineData("test_tuning_model_and_transform_steps_then_delete")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_pipelines.py", test, TimeSpan.FromMinutes(5));
}

/// <summary>A pipeline execution survives SIGKILL of the server in the middle of a step: the restarted server carries it to the end.</summary>
public sealed class PipelineRestartTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", "pipeline-restart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task An_execution_killed_mid_step_completes_after_the_server_restarts()
    {
        using (var first = await KilnProcess.StartAsync(_dataDirectory, null, "--job-watchdog-seconds", "2"))
        {
            await Infrastructure.Boto3.RunAsync(first.BaseAddress, "sagemaker_pipelines.py", "test_restart_phase_start", TimeSpan.FromMinutes(2));
            first.Kill();
        }

        using var second = await KilnProcess.StartAsync(_dataDirectory, null, "--job-watchdog-seconds", "2");
        await Infrastructure.Boto3.RunAsync(second.BaseAddress, "sagemaker_pipelines.py", "test_restart_phase_finish", TimeSpan.FromMinutes(6));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
