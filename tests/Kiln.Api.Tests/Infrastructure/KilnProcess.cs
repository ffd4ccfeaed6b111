using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>`kiln server` as a separate OS process, so a test can kill it the hard way and start it again.</summary>
public sealed class KilnProcess : IDisposable
{
    private readonly Process _process;

    private KilnProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static Task<KilnProcess> StartAsync(string dataDirectory, int? port = null, params string[] serverArguments) =>
        StartAsync(dataDirectory, new Dictionary<string, string>(), port, serverArguments);

    /// <summary>Starts the server with variables added to this process's environment (AWS credentials, say).</summary>
    public static async Task<KilnProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, int? port = null, params string[] serverArguments)
    {
        port ??= FreePort();
        var kiln = Path.Combine(AppContext.BaseDirectory, "kiln.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", kiln, "server", "--port", port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDirectory, .. serverArguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"kiln server exited with code {process.ExitCode}");
            }

            try
            {
                using var response = await http.GetAsync("health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new KilnProcess(process, baseAddress);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("kiln server did not become healthy within 120 s");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; whatever the OS has is what survives.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
