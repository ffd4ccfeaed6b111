using System.Collections.Concurrent;
using Kiln.Core.Jobs;

namespace Kiln.Jobs.Tests.Cluster;

/// <summary>What the test runner did with one job: every attempt (where, whether a restart) and how it ended.</summary>
public sealed class TestJob(TimeSpan duration, bool fails = false)
{
    public TimeSpan Duration { get; } = duration;

    /// <summary>The run records that it failed, then throws, as a runner whose work broke does.</summary>
    public bool Fails { get; } = fails;

    public ConcurrentQueue<(string Node, bool IsRestart, DateTime Started)> Attempts { get; } = new();

    public TaskCompletionSource<string> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _ran;

    public int Ran => Volatile.Read(ref _ran);

    public void CountRun() => Interlocked.Increment(ref _ran);
}

/// <summary>A job kind for engine tests: "work" for a set time (then maybe fail), honouring stop and node shutdown. State is shared by all silos (they are in-process).</summary>
public sealed class TestJobRunner : IJobRunner
{
    public static ConcurrentDictionary<string, TestJob> Jobs { get; } = new();

    public string Kind => "test";

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(!Jobs.TryGetValue(name, out var job) || job.Ended.Task.IsCompleted);

    public async Task RunAsync(JobRun run)
    {
        var job = Jobs[run.Name];
        using var either = CancellationTokenSource.CreateLinkedTokenSource(run.StopRequested, run.NodeShutdown);
        using var slot = await run.Slots.AcquireAsync(either.Token);
        job.Attempts.Enqueue((run.Node, run.IsRestart, DateTime.UtcNow));
        job.CountRun();
        job.Started.TrySetResult();
        try
        {
            await Task.Delay(job.Duration, either.Token);
            if (job.Fails)
            {
                job.Ended.TrySetResult("failed");
                throw new InvalidOperationException($"test job {run.Name} failed");
            }

            job.Ended.TrySetResult("completed");
        }
        catch (OperationCanceledException) when (run.StopRequested.IsCancellationRequested && !run.NodeShutdown.IsCancellationRequested)
        {
            job.Ended.TrySetResult("stopped");
        }
    }
}
