using Kiln.Training.Algorithms;
using Kiln.Training.Algorithms.Boosting;

namespace Kiln.Training.Tests.Algorithms;

/// <summary>Training work must not hold thread-pool threads: the API's requests are served from that pool.</summary>
public sealed class TrainingThreadTests
{
    [Fact]
    public async Task Single_threaded_boosting_runs_off_the_thread_pool()
    {
        bool? onPool = null;
        await OpenMpThread.RunAsync(threads: 1, granted =>
        {
            Assert.Equal(1, granted);
            onPool = Thread.CurrentThread.IsThreadPoolThread;
        }, CancellationToken.None);

        Assert.False(onPool);
    }

    [Fact]
    public async Task MlNet_fits_run_off_the_thread_pool_and_a_stop_ends_the_wait()
    {
        Assert.False(await Fitting.RunAsync(() => Thread.CurrentThread.IsThreadPoolThread, CancellationToken.None));

        using var release = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var fit = Fitting.RunAsync(() => release.Wait(TimeSpan.FromSeconds(30)), stop.Token);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit);
        release.Set();
    }
}
