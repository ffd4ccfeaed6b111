namespace Kiln.Api.Tests.Infrastructure;

/// <summary>Runs one test function of a boto3 script under tests/clients/boto3 against a server.</summary>
public static class Boto3
{
    public static async Task RunAsync(Uri server, string script, string test, TimeSpan? timeout = null, params string[] arguments)
    {
        await DebianPython.EnsureAsync();
        var folder = Repository.Path("tests", "clients", "boto3");
        var (code, output) = await Repository.RunAsync(
            Environment.GetEnvironmentVariable("KILN_TEST_PYTHON") ?? "python3",
            [script, server.ToString().TrimEnd('/'), test, .. arguments],
            folder,
            timeout ?? TimeSpan.FromMinutes(3));
        Assert.True(code == 0 && output.Contains("RESULT ok", StringComparison.Ordinal), $"{script} {test} failed ({code}):\n{output}");
    }
}
