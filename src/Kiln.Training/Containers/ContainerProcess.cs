using System.Diagnostics;
using System.Globalization;

namespace Kiln.Training.Containers;

/// <summary>
/// Runs a job's command the way a container runtime would: in its own process group (setsid), output
/// streamed line by line, and on cancellation SIGTERM to the whole group, then SIGKILL after a grace
/// period, as SageMaker stops a container.
/// </summary>
public static class ContainerProcess
{
    private const string Setsid = "setsid";

    /// <summary>The outcome: the exit code and the last lines the process wrote to stderr.</summary>
    public sealed record Result(int ExitCode, IReadOnlyList<string> LastErrors);

    /// <summary>Starts the command and waits for it; throws <see cref="OperationCanceledException"/> (after stopping it) when cancelled.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be started.</exception>
    public static async Task<Result> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        Action<string, bool> onLine,
        TimeSpan stopGracePeriod,
        CancellationToken ct)
    {
        var start = new ProcessStartInfo(Setsid, [program, .. arguments])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        var lastErrors = new Queue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                onLine(line, false);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            onLine(line, true);
            lock (lastErrors)
            {
                lastErrors.Enqueue(line);
                if (lastErrors.Count > 10)
                {
                    lastErrors.Dequeue();
                }
            }
        };

        process.Start();
        using var recorded = ProcessGroupLedger.Record(process.Id);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process, stopGracePeriod).ConfigureAwait(false);
            throw;
        }

        // The parameterless wait also drains the redirected output.
        process.WaitForExit();
        lock (lastErrors)
        {
            return new Result(process.ExitCode, lastErrors.ToList());
        }
    }

    private static async Task StopAsync(Process process, TimeSpan gracePeriod)
    {
        var group = "-" + process.Id.ToString(CultureInfo.InvariantCulture);
        await SignalAsync("-TERM", group).ConfigureAwait(false);
        try
        {
            using var grace = new CancellationTokenSource(gracePeriod);
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await SignalAsync("-KILL", group).ConfigureAwait(false);
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static async Task SignalAsync(string signal, string target)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", [signal, "--", target]) { UseShellExecute = false, RedirectStandardError = true });
            if (kill is not null)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }
}
