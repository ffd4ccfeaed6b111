using System.Collections.Concurrent;

namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// The one thread that calls LightGBM for multi-threaded work. GNU OpenMP keeps a team of worker threads for each
/// thread that opens a parallel region; once the workers of all teams outnumber the cores, it stops spinning between
/// regions and parks them in the kernel, and every region then pays for waking them (on a 2-core VM, 200 rounds on
/// diamonds took 0.75 s in a fresh process and 3 s once a second pool thread had trained). Calling from one thread keeps
/// one team. Work on one thread opens no team and runs wherever it is called.
/// </summary>
public static class OpenMpThread
{
    private static readonly Lazy<BlockingCollection<Action>> Work = new(Start);

    /// <summary>Runs LightGBM work that uses <paramref name="threads"/> threads: on the one thread when more than one, else on a pool thread.</summary>
    public static Task RunAsync(int threads, Action work, CancellationToken ct)
    {
        if (threads <= 1)
        {
            return Task.Run(work, ct);
        }

        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Value.Add(() =>
        {
            if (ct.IsCancellationRequested)
            {
                done.TrySetCanceled(ct);
                return;
            }

            try
            {
                work();
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
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
