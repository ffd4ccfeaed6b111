using System.Diagnostics;
using System.Net;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>`kiln server` as a separate OS process, so a test can kill it the hard way and start it again.</summary>
public sealed partial class KilnProcess : IDisposable
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

    /// <summary>
    /// Starts the server with variables added to this process's environment (AWS credentials, say). Without a
    /// <paramref name="port"/> the server takes any free one (<c>--port 0</c>) and says which in its log, so no other
    /// process can take it between a pick and the bind.
    /// </summary>
    public static async Task<KilnProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, int? port = null, params string[] serverArguments)
    {
        port ??= 0;
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
        // The last lines the server printed go into the message when it stops before it is healthy.
        var printed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var announced = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            if (ListeningOn().Match(line) is { Success: true } listening)
            {
                announced.TrySetResult(new Uri(listening.Groups[1].Value + "/"));
            }

            printed.Enqueue(line);
            while (printed.Count > 40 && printed.TryDequeue(out _))
            {
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException($"kiln server exited with code {process.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, printed)}");
            }

            if (!announced.Task.IsCompleted)
            {
                await Task.Delay(100);
                continue;
            }

            var baseAddress = await announced.Task;
            try
            {
                http.BaseAddress ??= baseAddress;
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

    [System.Text.RegularExpressions.GeneratedRegex(@"Kiln listening on (https?://\S+?)[ ,]")]
    private static partial System.Text.RegularExpressions.Regex ListeningOn();

    public static int FreePort() => Kiln.Core.Cluster.UnusedPort.Pick(IPAddress.Loopback);
}
