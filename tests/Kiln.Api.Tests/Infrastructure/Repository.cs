using System.Diagnostics;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>Paths in the repository checkout, and running its helper programs (node, python) from tests.</summary>
public static class Repository
{
    private static readonly SemaphoreSlim NpmInstall = new(1, 1);

    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Installs a test client's npm packages if a fresh clone has not yet (CI installs them up front).</summary>
    public static async Task EnsureNpmPackagesAsync(string folder)
    {
        await NpmInstall.WaitAsync();
        try
        {
            if (!Directory.Exists(System.IO.Path.Combine(folder, "node_modules")))
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, TimeSpan.FromMinutes(5));
                Assert.True(code == 0, $"npm ci failed in {folder}:\n{output}");
            }
        }
        finally
        {
            NpmInstall.Release();
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var (code, stdout, stderr) = await RunWithStreamsAsync(program, arguments, workingDirectory, timeout);
        return (code, stdout + stderr);
    }

    /// <summary>Runs a program and keeps what it wrote to stdout apart from what it wrote to stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithStreamsAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Kiln.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Kiln.slnx not found above " + AppContext.BaseDirectory);
    }
}
