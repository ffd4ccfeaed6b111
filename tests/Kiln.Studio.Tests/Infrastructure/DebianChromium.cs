using System.Diagnostics;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>
/// The browser of the tests is Debian's chromium (Playwright's own browser download is not reachable). A fresh machine
/// may not have it: as root the first test installs it with apt, otherwise the tests fail naming the command.
/// </summary>
public static class DebianChromium
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly Lazy<Task> Ready = new(EnsureInstalledAsync);

    public static Task EnsureAsync() => Ready.Value;

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(Executable))
        {
            return;
        }

        if (!File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            throw new InvalidOperationException($"The Studio tests need Debian's chromium at {Executable}: sudo apt-get update && sudo apt-get install -y chromium");
        }

        await using var gate = await AcquireLockAsync(Path.Combine(Path.GetTempPath(), "kiln-tests-apt.lock"));
        if (File.Exists(Executable))
        {
            return;
        }

        await RunAsync("apt-get", "update -qq");
        await RunAsync("apt-get", "install -y -qq chromium");
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"apt-get install chromium finished but {Executable} is missing");
        }
    }

    private static async Task RunAsync(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} failed ({process.ExitCode}):\n{await stdout}{await stderr}");
        }
    }

    private static async Task<FileStream> AcquireLockAsync(string path)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}
