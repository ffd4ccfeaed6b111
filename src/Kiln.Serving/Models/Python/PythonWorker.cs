using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Models.Python;

/// <summary>How to start a model's inference workers; <see cref="Log"/> receives each line the worker writes (the user's prints and tracebacks).</summary>
public sealed record PythonWorkerSettings(
    string Python, string WorkerScript, string ModelName, string ModelDirectory, string CodeDirectory, IReadOnlyDictionary<string, string> Environment, TimeSpan StartTimeout,
    Action<string>? Log = null);

/// <summary>
/// One Python process running kiln_inference_worker.py: it loads the model once, then answers one request at a
/// time over its stdin/stdout as length-prefixed frames (see the script). Its stderr is the model's log.
/// </summary>
internal sealed partial class PythonWorker : IDisposable
{
    private const int LogTail = 20;
    private const int MaxFrameField = 64 * 1024 * 1024;

    private readonly Process _process;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly Queue<string> _lastErrors = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _header = new byte[4];
    private int _disposed;

    private PythonWorker(Process process)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _output = process.StandardOutput.BaseStream;
    }

    /// <summary>Completes when the process ends, however it ends.</summary>
    public Task Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Starts a worker and waits until its model is loaded; throws <see cref="InvalidDataException"/> with the script's error when loading fails.</summary>
    public static async Task<PythonWorker> StartAsync(PythonWorkerSettings settings, ILogger logger, CancellationToken ct)
    {
        var start = new ProcessStartInfo(settings.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.Exists(settings.CodeDirectory) ? settings.CodeDirectory : settings.ModelDirectory,
        };
        start.ArgumentList.Add(settings.WorkerScript);
        start.ArgumentList.Add("--model");
        start.ArgumentList.Add(settings.ModelName);
        foreach (var (name, value) in settings.Environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        PythonWorker? worker = null;
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                worker?.Remember(text);
                settings.Log?.Invoke(text);
                LogScript(logger, settings.ModelName, text);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidDataException($"Could not start the Python interpreter '{settings.Python}' for the model's inference script: {e.Message}");
        }

        worker = new PythonWorker(process);
        process.Exited += (_, _) => worker._exited.TrySetResult();
        if (process.HasExited)
        {
            worker._exited.TrySetResult();
        }

        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.StartTimeout);

        // Reads on a pipe may not heed cancellation: ending the process ends the read.
        using var killer = timeout.Token.Register(worker.Kill);
        try
        {
            var hello = await worker.ReadAnswerAsync(timeout.Token).ConfigureAwait(false);
            timeout.Token.ThrowIfCancellationRequested();
            if (hello is null)
            {
                throw new InvalidDataException($"The inference worker exited while loading the model{worker.ExitDetail()}.");
            }

            if (hello.Value.Status != 200)
            {
                throw new InvalidDataException("model_fn failed: " + Encoding.UTF8.GetString(hello.Value.Body).Trim());
            }

            return worker;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            worker.Dispose();
            throw new InvalidDataException($"The model did not load within {settings.StartTimeout.TotalSeconds:0} seconds.");
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one request and reads the answer. Throws <see cref="WorkerGoneException"/> when the process is
    /// gone (<see cref="WorkerGoneException.BeforeRequest"/> when it never got the request) and
    /// <see cref="OperationCanceledException"/> when <paramref name="ct"/> ends first (the caller then kills it).
    /// </summary>
    public async Task<(int Status, string ContentType, byte[] Body)> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct)
    {
        if (HasExited)
        {
            throw new WorkerGoneException(true, ExitDetail());
        }

        try
        {
            var type = Encoding.UTF8.GetBytes(contentType ?? "");
            var accepted = Encoding.UTF8.GetBytes(accept ?? "");
            var frame = new byte[12 + type.Length + accepted.Length + body.Length];
            var at = WriteField(frame, 0, type);
            at = WriteField(frame, at, accepted);
            WriteField(frame, at, body.Span);
            await _input.WriteAsync(frame, ct).ConfigureAwait(false);
            await _input.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            throw new WorkerGoneException(true, ExitDetail());
        }

        var answer = await ReadAnswerAsync(ct).ConfigureAwait(false) ?? throw new WorkerGoneException(false, ExitDetail());
        return answer;
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Closes the worker's input (it ends on its own) and kills it if it has not ended two seconds later.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            _input.Dispose();
        }
        catch (IOException)
        {
        }

        _ = Task.Run(async () =>
        {
            await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            Kill();
            _process.Dispose();
        });
    }

    private static int WriteField(byte[] frame, int at, ReadOnlySpan<byte> field)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), (uint)field.Length);
        field.CopyTo(frame.AsSpan(at + 4));
        return at + 4 + field.Length;
    }

    private async Task<(int Status, string ContentType, byte[] Body)?> ReadAnswerAsync(CancellationToken ct)
    {
        var status = await ReadFieldAsync(ct).ConfigureAwait(false);
        var type = status is null ? null : await ReadFieldAsync(ct).ConfigureAwait(false);
        var body = type is null ? null : await ReadFieldAsync(ct).ConfigureAwait(false);
        if (body is null)
        {
            return null;
        }

        var code = int.TryParse(Encoding.ASCII.GetString(status!), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 500;
        return (code, Encoding.UTF8.GetString(type!), body);
    }

    private async Task<byte[]?> ReadFieldAsync(CancellationToken ct)
    {
        if (!await ReadExactlyAsync(_header, ct).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (length > MaxFrameField)
        {
            Kill();
            throw new WorkerGoneException(false, $" (it wrote a {length}-byte frame, more than Kiln takes)");
        }

        var field = new byte[length];
        return await ReadExactlyAsync(field, ct).ConfigureAwait(false) ? field : null;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int count;
            try
            {
                count = await _output.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return false;
            }

            if (count == 0)
            {
                return false;
            }

            read += count;
        }

        return true;
    }

    private void Remember(string line)
    {
        lock (_lastErrors)
        {
            _lastErrors.Enqueue(line);
            while (_lastErrors.Count > LogTail)
            {
                _lastErrors.Dequeue();
            }
        }
    }

    private string ExitDetail()
    {
        string code;
        try
        {
            code = _process.WaitForExit(1000) ? $" with code {_process.ExitCode}" : "";
        }
        catch (InvalidOperationException)
        {
            code = "";
        }

        lock (_lastErrors)
        {
            var tail = _lastErrors.Where(line => line.Trim().Length > 0).TakeLast(5).ToList();
            return code + (tail.Count > 0 ? ": " + string.Join(" | ", tail) : "");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[{Model}] {Line}")]
    private static partial void LogScript(ILogger logger, string model, string line);
}

/// <summary>The worker process ended; <see cref="BeforeRequest"/> when it ended before it got the request (so the request may go to another).</summary>
internal sealed class WorkerGoneException(bool beforeRequest, string detail) : Exception($"The model's inference worker exited{detail}.")
{
    public bool BeforeRequest { get; } = beforeRequest;
}
