using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// A Model Monitor execution outlives its server. Three servers on one data folder: the first sets up a captured endpoint
/// and a job definition; the second runs no jobs (<c>--job-slots 0</c>), so the processing job of the NOW schedule it
/// starts is certainly still in progress when it is killed; the third finishes that job and the execution, once. The steps
/// are functions of tests/clients/boto3/sagemaker_model_monitor.py, handing over what they saw through Kiln's S3.
/// </summary>
public sealed class ModelMonitorRestartTests : IDisposable
{
    private const string Script = "sagemaker_model_monitor.py";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", "monitor-restart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_processing_job_cut_off_by_a_killed_server_completes_its_execution_once_after_the_restart()
    {
        using (var setup = await KilnProcess.StartAsync(_dataDirectory))
        {
            await Boto3.RunAsync(setup.BaseAddress, Script, "restart_set_up_a_captured_endpoint", TimeSpan.FromMinutes(5));
            setup.Kill();
        }

        using (var noSlots = await KilnProcess.StartAsync(_dataDirectory, null, "--job-slots", "0"))
        {
            await Boto3.RunAsync(noSlots.BaseAddress, Script, "restart_leave_a_processing_job_running", TimeSpan.FromMinutes(2));
            noSlots.Kill();
        }

        using var restarted = await KilnProcess.StartAsync(_dataDirectory, null, "--job-watchdog-seconds", "2");
        await Boto3.RunAsync(restarted.BaseAddress, Script, "restart_execution_completes_after_the_restart", TimeSpan.FromMinutes(6));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
