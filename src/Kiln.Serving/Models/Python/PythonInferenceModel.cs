using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Models.Python;

/// <summary>
/// A framework model served by warm Python workers (SAGEMAKER_MODEL_SERVER_WORKERS of them, one by default):
/// each request takes an idle worker, which runs the user's input_fn, predict_fn and output_fn. A worker that
/// dies is started again; one that overruns SAGEMAKER_MODEL_SERVER_TIMEOUT is killed and started again.
/// Errors from the user's code are the model's answer (status 500 with the Python exception).
/// </summary>
public sealed partial class PythonInferenceModel : IServedModel
{
    private readonly WorkerSlot[] _slots;
    private readonly Channel<WorkerSlot> _idle;
    private readonly TimeSpan _timeout;

    private PythonInferenceModel(WorkerSlot[] slots, TimeSpan timeout)
    {
        _slots = slots;
        _timeout = timeout;
        _idle = Channel.CreateUnbounded<WorkerSlot>();
        foreach (var slot in slots)
        {
            _idle.Writer.TryWrite(slot);
        }
    }

    /// <summary>Starts <paramref name="workers"/> workers and waits until each has loaded the model; throws <see cref="InvalidDataException"/> when the model does not load.</summary>
    public static async Task<PythonInferenceModel> StartAsync(PythonWorkerSettings settings, int workers, TimeSpan timeout, ILogger logger, CancellationToken ct)
    {
        var starting = Enumerable.Range(0, workers).Select(_ => PythonWorker.StartAsync(settings, logger, ct)).ToList();
        try
        {
            await Task.WhenAll(starting).ConfigureAwait(false);
        }
        catch
        {
            foreach (var task in starting.Where(task => task.IsCompletedSuccessfully))
            {
                task.Result.Dispose();
            }

            throw starting.Select(task => task.Exception?.InnerException).FirstOrDefault(e => e is InvalidDataException) ?? starting.First(task => task.IsFaulted).Exception!.InnerException!;
        }

        return new PythonInferenceModel([.. starting.Select(task => new WorkerSlot(settings, task.Result, logger))], timeout);
    }

    public async ValueTask<ServedAnswer> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct)
    {
        var slot = await _idle.Reader.ReadAsync(ct).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var worker = await slot.WorkerAsync(ct).ConfigureAwait(false);

                // Only the timeout ends a request the worker has: a caller who goes away leaves it to finish, so the
                // worker stays in step. Reads on a pipe may not heed cancellation: ending the process ends the read.
                using var timeout = new CancellationTokenSource(_timeout);
                using var killer = timeout.Token.Register(worker.Kill);
                try
                {
                    var (status, type, answer) = await worker.InvokeAsync(body, contentType, accept, timeout.Token).ConfigureAwait(false);
                    return status is >= 200 and < 300
                        ? new ServedAnswer(answer, type)
                        : throw new ModelErrorException(status, Encoding.UTF8.GetString(answer).Trim());
                }
                catch (Exception e) when (e is OperationCanceledException or WorkerGoneException && timeout.IsCancellationRequested)
                {
                    slot.Replace(worker);
                    throw new ModelErrorException(0, $"Your invocation timed out while waiting for a response from the model (SAGEMAKER_MODEL_SERVER_TIMEOUT: {_timeout.TotalSeconds:0} seconds).");
                }
                catch (WorkerGoneException e)
                {
                    slot.Replace(worker);
                    if (!e.BeforeRequest || attempt > 0)
                    {
                        throw new ModelErrorException(500, e.Message);
                    }
                }
            }
        }
        finally
        {
            _idle.Writer.TryWrite(slot);
        }
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An inference worker of model {Model} ended; starting another")]
    private static partial void LogRestart(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An inference worker of model {Model} could not be started again")]
    private static partial void LogRestartFailed(ILogger logger, Exception exception, string model);

    /// <summary>One worker place: its current process, started again (at once, not on the next request) when the process ends.</summary>
    private sealed class WorkerSlot
    {
        private readonly PythonWorkerSettings _settings;
        private readonly ILogger _logger;
        private readonly Lock _gate = new();
        private Task<PythonWorker> _current;
        private bool _disposed;

        public WorkerSlot(PythonWorkerSettings settings, PythonWorker worker, ILogger logger)
        {
            _settings = settings;
            _logger = logger;
            _current = Task.FromResult(worker);
            Watch(worker);
        }

        /// <summary>The live worker; when the last start failed, tries once more (the error is the model's 500).</summary>
        public async Task<PythonWorker> WorkerAsync(CancellationToken ct)
        {
            Task<PythonWorker> current;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_current.IsFaulted)
                {
                    _current = StartAsync();
                }

                current = _current;
            }

            try
            {
                return await current.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new ModelErrorException(500, $"The model's inference worker could not be started: {e.Message}");
            }
        }

        /// <summary>Replaces <paramref name="worker"/> with a new process unless that already happened.</summary>
        public void Replace(PythonWorker worker)
        {
            lock (_gate)
            {
                if (_disposed || !_current.IsCompletedSuccessfully || !ReferenceEquals(_current.Result, worker))
                {
                    return;
                }

                worker.Kill();
                worker.Dispose();
                LogRestart(_logger, _settings.ModelName);
                _settings.Log?.Invoke("An inference worker ended (it exited, was killed, or overran SAGEMAKER_MODEL_SERVER_TIMEOUT); starting another");
                _current = StartAsync();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                if (_current.IsCompletedSuccessfully)
                {
                    _current.Result.Dispose();
                }
                else
                {
                    _current.ContinueWith(task => task.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                }
            }
        }

        private Task<PythonWorker> StartAsync()
        {
            var task = PythonWorker.StartAsync(_settings, _logger, CancellationToken.None);
            _ = task.ContinueWith(
                started =>
                {
                    if (started.IsCompletedSuccessfully)
                    {
                        Watch(started.Result);
                    }
                    else
                    {
                        LogRestartFailed(_logger, started.Exception!.InnerException!, _settings.ModelName);
                        _settings.Log?.Invoke($"The inference worker could not be started again: {started.Exception!.InnerException!.Message}");
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return task;
        }

        private void Watch(PythonWorker worker) =>
            worker.Exited.ContinueWith(_ => Replace(worker), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
