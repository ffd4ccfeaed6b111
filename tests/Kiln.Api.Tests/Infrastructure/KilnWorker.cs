using System.Diagnostics;
using System.Text;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>`kiln worker` as a separate OS process on a silo port chosen here; <see cref="Kill"/> is SIGKILL to the worker alone.</summary>
public sealed class KilnWorker : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private KilnWorker(Process process, int siloPort, string dataDirectory)
    {
        _process = process;
        SiloPort = siloPort;
        DataDirectory = dataDirectory;
    }

    public int SiloPort { get; }

    /// <summary>The worker's --data-dir (its job workspaces are under jobs/).</summary>
    public string DataDirectory { get; }

    /// <summary>Everything the worker wrote so far (its log).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<KilnWorker> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var siloPort = KilnProcess.FreePort();
        var kiln = Path.Combine(AppContext.BaseDirectory, "kiln.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", kiln, "worker", "--data-dir", dataDirectory, "--silo-port", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var worker = new KilnWorker(Process.Start(start)!, siloPort, dataDirectory);
        worker._process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!worker.Output.Contains("Kiln worker joined the cluster", StringComparison.Ordinal))
        {
            if (worker._process.HasExited)
            {
                throw new InvalidOperationException($"kiln worker exited with code {worker._process.ExitCode}: {worker.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                worker.Kill();
                throw new TimeoutException("kiln worker did not join within 90 s: " + worker.Output);
            }

            await Task.Delay(100);
        }

        return worker;
    }

    /// <summary>SIGKILL to the worker process only: the scripts it started are orphaned, as when a machine's agent dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
