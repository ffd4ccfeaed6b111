using System.Collections.Concurrent;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// The one thread that calls LightGBM for multi-threaded work. GNU OpenMP keeps a team of worker threads for each
/// thread that opens a parallel region; once the workers of all teams outnumber the cores, it stops spinning between
/// regions and parks them in the kernel, and every region then pays for waking them (on a 2-core VM, 200 rounds on
/// diamonds took 0.75 s in a fresh process and 3 s once a second pool thread had trained). Calling from one thread keeps
/// one team. Work on one thread opens no team and runs wherever it is called: so when the thread is busy (tuning
/// trials side by side), the next job runs single-threaded on a thread of its own rather than wait.
/// </summary>
public static class OpenMpThread
{
    private static readonly Lazy<BlockingCollection<Action>> Work = new(Start);
    private static int _busy;

    /// <summary>Runs LightGBM work that may use up to <paramref name="threads"/> threads; it is told how many it gets.</summary>
    public static Task RunAsync(int threads, Action<int> work, CancellationToken ct)
    {
        if (threads <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return Fitting.RunOnOwnThread(() => work(1), ct);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Value.Add(() =>
        {
            try
            {
                ct.ThrowIfCancellationRequested();
                work(threads);
                done.TrySetResult();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                done.TrySetCanceled(ct);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }, CancellationToken.None);
        return done.Task;
    }

    private static BlockingCollection<Action> Start()
    {
        var queue = new BlockingCollection<Action>();
        var thread = new Thread(() =>
        {
            foreach (var item in queue.GetConsumingEnumerable())
            {
                item();
            }
        })
        { IsBackground = true, Name = "Kiln LightGBM" };
        thread.Start();
        return queue;
    }
}
