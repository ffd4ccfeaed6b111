using Kiln.Core.Jobs;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Kiln.Jobs;

/// <summary>
/// This node's job slots: at most <see cref="Capacity"/> jobs hold one at a time, the rest wait in a
/// first-in, first-out queue. Also owns the node's shutdown signal, raised as soon as the silo starts
/// stopping, so running jobs let go and are resumed elsewhere.
/// </summary>
public sealed class JobSlots(IOptions<JobEngineOptions> options) : IJobSlots, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<TaskCompletionSource<IDisposable>> _waiting = new();
    private readonly CancellationTokenSource _shutdown = new();
    private int _running;

    public int Capacity { get; } = Math.Max(0, options.Value.JobSlots);

    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    public CancellationToken Shutdown => _shutdown.Token;

    /// <summary>A slot if one is free right now (nobody waiting), else null: for work that cannot queue.</summary>
    public IDisposable? TryAcquire()
    {
        lock (_gate)
        {
            if (_running < Capacity && _waiting.Count == 0)
            {
                _running++;
                return new Slot(this);
            }

            return null;
        }
    }

    public Task<IDisposable> AcquireAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_running < Capacity && _waiting.Count == 0)
            {
                _running++;
                return Task.FromResult<IDisposable>(new Slot(this));
            }

            var waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            var node = _waiting.AddLast(waiter);
            if (ct.CanBeCanceled)
            {
                var registration = ct.Register(() =>
                {
                    lock (_gate)
                    {
                        if (node.List is null)
                        {
                            return;
                        }

                        _waiting.Remove(node);
                    }

                    waiter.TrySetCanceled(ct);
                });
                waiter.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            }

            return waiter.Task;
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobSlots), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ =>
        {
            _shutdown.Cancel();
            return Task.CompletedTask;
        });

    public void Dispose() => _shutdown.Dispose();

    private void Release()
    {
        TaskCompletionSource<IDisposable>? next = null;
        lock (_gate)
        {
            if (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                next = first.Value;
            }
            else
            {
                _running--;
            }
        }

        // The slot passes straight to the next waiter; if it was cancelled meanwhile, release again.
        if (next is not null && !next.TrySetResult(new Slot(this)))
        {
            Release();
        }
    }

    private sealed class Slot(JobSlots owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
