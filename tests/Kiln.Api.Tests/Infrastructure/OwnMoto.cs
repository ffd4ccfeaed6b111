using System.Diagnostics;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>
/// moto's S3 server of one test's own (<c>python3 -m moto.server</c> on a fixed free port), so the test may kill it and
/// start it again on the same address. moto keeps everything in memory: a restarted one is empty.
/// </summary>
public sealed class OwnMoto : IDisposable
{
    private Process? _process;

    private OwnMoto(int port) => Port = port;

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    public static async Task<(OwnMoto? Server, string? Skip)> TryStartAsync()
    {
        using (var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import moto.server"]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!)
        {
            await probe.WaitForExitAsync();
            if (probe.ExitCode != 0)
            {
                return (null, $"moto's server is not installed for {Python}: nothing to test here.");
            }
        }

        var moto = new OwnMoto(KilnProcess.FreePort());
        await moto.StartAsync();
        return (moto, null);
    }

    public async Task StartAsync()
    {
        _process = Process.Start(new ProcessStartInfo(Python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"moto's server exited with code {_process.ExitCode}.");
            }

            try
            {
                using var response = await http.GetAsync(Endpoint);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }

        throw new TimeoutException("moto's server did not answer within 90 s.");
    }

    /// <summary>SIGKILL: the store vanishes mid-conversation.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();

    private static string Python => Environment.GetEnvironmentVariable("KILN_TEST_PYTHON") ?? "python3";
}
