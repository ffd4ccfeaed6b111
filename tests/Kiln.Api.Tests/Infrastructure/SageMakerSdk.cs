namespace Kiln.Api.Tests.Infrastructure;

/// <summary>
/// The SageMaker Python SDK laid out by tools/sagemaker-sdk/setup.sh, named by env KILN_SAGEMAKER_SDK (that script's
/// OUT_DIR). The SDK is not in any package registry this project can reach, so CI does not have it.
/// </summary>
public static class SageMakerSdk
{
    public const string Variable = "KILN_SAGEMAKER_SDK";

    public static string? Folder => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } folder ? folder : null;

    public static string SkipReason =>
        $"{Variable} is not set: the SageMaker Python SDK cannot be installed from the package registries CI reaches; " +
        "lay it out from its public source with tools/sagemaker-sdk/setup.sh SRC_DIR OUT_DIR and set " +
        $"{Variable}=OUT_DIR (docs/sagemaker-sdk.md)";

    /// <summary>Runs sections of tests/clients/sagemaker-sdk/monitors.py on Debian's python3 with the SDK's PYTHONPATH.</summary>
    public static async Task RunMonitorsAsync(Uri server, string section, TimeSpan timeout)
    {
        var folder = Folder ?? throw new InvalidOperationException(SkipReason);
        var pythonPath = await File.ReadAllTextAsync(Path.Combine(folder, "pythonpath"));
        await DebianPython.EnsureAsync();
        var (code, output) = await Repository.RunAsync(
            "/usr/bin/env",
            [$"PYTHONPATH={pythonPath.Trim()}", DebianPython.Interpreter, "monitors.py", server.ToString().TrimEnd('/'), section],
            Repository.Path("tests", "clients", "sagemaker-sdk"),
            timeout);
        Assert.True(code == 0 && output.Contains("RESULT ok", StringComparison.Ordinal), $"monitors.py {section} failed ({code}):\n{output}");
    }
}

/// <summary>A theory that is reported as skipped, with the reason, when the SageMaker Python SDK is not laid out here.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SageMakerSdkTheoryAttribute : TheoryAttribute
{
    public SageMakerSdkTheoryAttribute()
    {
        if (SageMakerSdk.Folder is null)
        {
            Skip = SageMakerSdk.SkipReason;
        }
    }
}
