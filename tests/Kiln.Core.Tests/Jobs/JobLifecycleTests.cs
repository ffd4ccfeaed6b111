using Kiln.Core.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Jobs;

public sealed class JobLifecycleTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 5, 0, 0, TimeSpan.Zero));
    private readonly Records _store = new();
    private readonly CountingSlots _slots = new(capacity: 1);
    private readonly JobLifecycle<TestJob> _lifecycle;

    public JobLifecycleTests()
    {
        _lifecycle = new JobLifecycle<TestJob>("test", _store.FindAsync, _store.UpdateAsync, _clock, NullLogger.Instance);
        _store.Put(new TestJob { Name = "job" });
    }

    public void Dispose() => _slots.Dispose();

    [Fact]
    public async Task Each_run_claims_the_next_attempt_and_a_finished_job_is_not_run_again()
    {
        var first = await ClaimAsync(Run());
        var second = await ClaimAsync(Run(isRestart: true), (job, _) => job with { Note = $"restarted after attempt {job.Attempt - 1}" });

        Assert.Equal(1, first.Number);
        Assert.Equal(2, second.Number);
        Assert.Equal("restarted after attempt 1", _store.Get("job").Note);

        await second.EndAsync((job, now) => job with { Status = "Completed", EndTime = now });
        Assert.Null(await _lifecycle.BeginAsync(Run()));
        Assert.Equal(2, _store.Get("job").Attempt);
        Assert.Null(await _lifecycle.BeginAsync(Run("missing")));
    }

    [Fact]
    public async Task A_run_of_an_ended_or_missing_job_does_nothing()
    {
        Assert.False(await _lifecycle.IsFinishedAsync("job"));
        var runs = 0;
        await _lifecycle.RunAsync(Run(), attempt =>
        {
            runs++;
            return attempt.EndAsync((job, _) => job with { Status = "Completed" });
        });

        await _lifecycle.RunAsync(Run(), _ => Task.FromResult(runs++));
        await _lifecycle.RunAsync(Run("missing"), _ => Task.FromResult(runs++));

        Assert.Equal(1, runs);
        Assert.True(await _lifecycle.IsFinishedAsync("job"));
        Assert.True(await _lifecycle.IsFinishedAsync("missing"));
    }

    [Fact]
    public async Task A_first_run_is_not_marked_as_a_restart()
    {
        var attempt = await ClaimAsync(Run(), (job, _) => job with { Note = "restarted" });

        Assert.Null(attempt.Job.Note);
        Assert.Equal(_clock.GetUtcNow(), _store.Get("job").LastModifiedTime);
    }

    [Fact]
    public async Task A_superseded_attempt_cannot_overwrite_the_newer_attempts_state()
    {
        var lost = await ClaimAsync(Run());
        var newer = await ClaimAsync(Run(isRestart: true));
        await newer.ChangeAsync(job => job with { Note = "newer" });

        await Assert.ThrowsAsync<AttemptSupersededException>(() => lost.ChangeAsync(job => job with { Note = "lost" }));
        await Assert.ThrowsAsync<AttemptSupersededException>(() => lost.EndAsync((job, _) => job with { Status = "Failed" }));
        var endedBy = new List<JobExit>();
        await lost.RunAsync(
            async ct =>
            {
                await lost.ChangeAsync(job => job with { Note = "lost" }, ct);
                await lost.EndAsync((job, _) => job with { Status = "Completed" });
            },
            exit =>
            {
                endedBy.Add(exit);
                return Task.CompletedTask;
            });

        var stored = _store.Get("job");
        Assert.Equal(("newer", "InProgress", 2), (stored.Note, stored.Status, stored.Attempt));
        Assert.Empty(endedBy);
    }

    [Fact]
    public async Task A_superseded_attempt_that_fails_does_not_end_the_newer_attempt()
    {
        var lost = await ClaimAsync(Run());
        await _lifecycle.BeginAsync(Run(isRestart: true));

        await lost.RunAsync(_ => throw new InvalidOperationException("boom"), exit => lost.EndAsync((job, now) => job with { Status = "Failed", FailureReason = exit.FailureReason }));

        Assert.Equal("InProgress", _store.Get("job").Status);
        Assert.Null(_store.Get("job").FailureReason);
    }

    [Fact]
    public async Task A_stop_while_running_ends_the_job_stopped()
    {
        using var stop = new CancellationTokenSource();
        var attempt = await ClaimAsync(Run(stop: stop.Token));
        var started = new TaskCompletionSource();

        var running = attempt.RunAsync(
            async ct =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            },
            exit => EndAsync(attempt, exit),
            new JobRunOptions { HoldsSlot = true });
        await started.Task;
        await stop.CancelAsync();
        await running;

        var stored = _store.Get("job");
        Assert.Equal(("Stopped", JobExitKind.Stopped), (stored.Status, stored.Exit));
        Assert.Equal(_clock.GetUtcNow(), stored.EndTime);
        Assert.Equal(0, _slots.Running);
    }

    [Fact]
    public async Task A_stop_asked_for_before_the_start_ends_the_job_without_running_it()
    {
        _store.Put(_store.Get("job") with { StopRequested = true });
        var attempt = await ClaimAsync(Run());
        var ran = false;

        await attempt.RunAsync(
            _ =>
            {
                ran = true;
                return Task.CompletedTask;
            },
            exit => EndAsync(attempt, exit),
            new JobRunOptions { EndIfStoppedBeforeStart = true, HoldsSlot = true });

        Assert.False(ran);
        Assert.Equal(("Stopped", JobExitKind.StoppedBeforeStart), (_store.Get("job").Status, _store.Get("job").Exit));
        Assert.Equal(0, _slots.Acquired);
    }

    [Fact]
    public async Task A_node_shutdown_leaves_the_job_in_progress_for_the_next_attempt()
    {
        using var shutdown = new CancellationTokenSource();
        var attempt = await ClaimAsync(Run(shutdown: shutdown.Token));
        var started = new TaskCompletionSource();
        var interrupted = false;
        var ended = false;

        var running = attempt.RunAsync(
            async ct =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            },
            _ =>
            {
                ended = true;
                return Task.CompletedTask;
            },
            new JobRunOptions { HoldsSlot = true, Interrupted = () => interrupted = true });
        await started.Task;
        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal("InProgress", _store.Get("job").Status);
        Assert.True(interrupted);
        Assert.False(ended);
        Assert.Equal(0, _slots.Running);
        Assert.Equal(2, (await ClaimAsync(Run(isRestart: true))).Number);
    }

    [Fact]
    public async Task Running_past_the_maximum_runtime_ends_the_job_as_runtime_exceeded()
    {
        var attempt = await ClaimAsync(Run());

        await attempt.RunAsync(ct => Task.Delay(Timeout.Infinite, ct), exit => EndAsync(attempt, exit), new JobRunOptions { MaxRuntime = TimeSpan.FromMilliseconds(50) });

        Assert.Equal(JobExitKind.RuntimeExceeded, _store.Get("job").Exit);
    }

    [Fact]
    public async Task An_unexpected_failure_is_reported_as_an_internal_error_cut_to_sagemakers_length()
    {
        var attempt = await ClaimAsync(Run());

        await attempt.RunAsync(_ => throw new InvalidOperationException(new string('x', 3000)), exit => EndAsync(attempt, exit));

        var stored = _store.Get("job");
        Assert.Equal(("Failed", JobExitKind.Failed), (stored.Status, stored.Exit));
        Assert.Equal(1024, stored.FailureReason!.Length);
        Assert.StartsWith("InternalServerError: xxx", stored.FailureReason, StringComparison.Ordinal);
        Assert.EndsWith("x...", stored.FailureReason, StringComparison.Ordinal);
        Assert.True(stored.Unexpected);
    }

    [Fact]
    public async Task An_expected_failure_keeps_the_runners_reason_cut_to_sagemakers_length()
    {
        var attempt = await ClaimAsync(Run());
        var options = new JobRunOptions { ExpectedFailure = e => e is ArgumentException ? $"ClientError: {e.Message}" : null };

        await attempt.RunAsync(_ => throw new ArgumentException(new string('y', 1100)), exit => EndAsync(attempt, exit), options);

        var stored = _store.Get("job");
        Assert.Equal("ClientError: " + new string('y', 1024 - 16) + "...", stored.FailureReason);
        Assert.False(stored.Unexpected);
    }

    [Theory]
    [InlineData(1024, 1024)]
    [InlineData(1025, 1024)]
    [InlineData(10, 10)]
    public void Failure_reasons_are_cut_only_when_too_long(int length, int expected)
    {
        var reason = JobFailure.Truncate(new string('r', length));
        Assert.Equal(expected, reason.Length);
        Assert.Equal(length > 1024, reason.EndsWith("...", StringComparison.Ordinal));
        Assert.Null(JobFailure.Truncate(null));
        Assert.Equal(1300, JobFailure.Truncate(new string('r', 2000), 1300).Length);
    }

    [Fact]
    public async Task The_job_ends_once()
    {
        var attempt = await ClaimAsync(Run());
        await attempt.EndAsync((job, _) => job with { Status = "Completed" });

        var again = await attempt.EndAsync((job, _) => job with { Status = "Failed" });

        Assert.Null(again);
        Assert.Equal("Completed", _store.Get("job").Status);
    }

    public static TheoryData<string> Paths => ["completes", "fails", "is stopped", "shuts down", "is superseded"];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task The_slot_is_held_while_the_work_runs_and_released_whichever_way_it_ends(string path)
    {
        using var stop = new CancellationTokenSource();
        using var shutdown = new CancellationTokenSource();
        var attempt = await ClaimAsync(Run(stop: stop.Token, shutdown: shutdown.Token));
        var heldWhileRunning = -1;

        async Task WorkAsync()
        {
            heldWhileRunning = _slots.Running;
            switch (path)
            {
                case "completes":
                    await attempt.EndAsync((job, _) => job with { Status = "Completed" });
                    break;
                case "fails":
                    throw new InvalidOperationException("boom");
                case "is stopped":
                    await stop.CancelAsync();
                    stop.Token.ThrowIfCancellationRequested();
                    break;
                case "shuts down":
                    await shutdown.CancelAsync();
                    shutdown.Token.ThrowIfCancellationRequested();
                    break;
                default:
                    await _lifecycle.BeginAsync(Run(isRestart: true));
                    await attempt.ChangeAsync(job => job with { Note = "late" }, CancellationToken.None);
                    break;
            }
        }

        var running = attempt.RunAsync(_ => WorkAsync(), exit => EndAsync(attempt, exit), new JobRunOptions { HoldsSlot = true });
        try
        {
            await running;
        }
        catch (OperationCanceledException) when (path == "shuts down")
        {
        }

        Assert.Equal(1, heldWhileRunning);
        Assert.Equal(0, _slots.Running);
        Assert.Equal(1, _slots.Acquired);
    }

    [Fact]
    public async Task An_attempt_waiting_for_a_slot_says_so()
    {
        var busy = await _slots.AcquireAsync(CancellationToken.None);
        var attempt = await ClaimAsync(Run());
        var waiting = new List<string>();

        var running = attempt.RunAsync(_ => Task.CompletedTask, exit => EndAsync(attempt, exit), new JobRunOptions
        {
            HoldsSlot = true,
            WaitingForSlot = message =>
            {
                waiting.Add(message);
                return Task.CompletedTask;
            },
        });
        Assert.Equal(["Waiting for a free job slot on node-1: 1 running, 0 waiting"], waiting);
        busy.Dispose();
        await running;
        Assert.Equal(0, _slots.Running);
    }

    private async Task<JobAttempt<TestJob>> ClaimAsync(JobRun run, Func<TestJob, DateTimeOffset, TestJob>? restarted = null) =>
        await _lifecycle.BeginAsync(run, restarted) ?? throw new InvalidOperationException("The job was not claimed.");

    private static Task EndAsync(JobAttempt<TestJob> attempt, JobExit exit) =>
        attempt.EndAsync((job, now) => job with
        {
            Status = exit.Kind == JobExitKind.Failed ? "Failed" : "Stopped",
            Exit = exit.Kind,
            FailureReason = exit.FailureReason,
            Unexpected = exit.Unexpected,
            EndTime = now,
        });

    private JobRun Run(string name = "job", bool isRestart = false, CancellationToken stop = default, CancellationToken shutdown = default) =>
        new(name, isRestart, "node-1", _slots, stop, shutdown);

    private sealed record TestJob : IJobRecord<TestJob>
    {
        public required string Name { get; init; }

        public int Attempt { get; init; }

        public string Status { get; init; } = "InProgress";

        public bool StopRequested { get; init; }

        public bool IsFinished => Status is "Completed" or "Failed" or "Stopped";

        public string? Note { get; init; }

        public JobExitKind? Exit { get; init; }

        public string? FailureReason { get; init; }

        public bool Unexpected { get; init; }

        public DateTimeOffset? EndTime { get; init; }

        public DateTimeOffset LastModifiedTime { get; init; }

        public TestJob WithAttempt(int attempt) => this with { Attempt = attempt };

        public TestJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };
    }

    /// <summary>A store's atomic update, as the stores do it: the change sees the stored job under a lock.</summary>
    private sealed class Records
    {
        private readonly Dictionary<string, TestJob> _jobs = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void Put(TestJob job)
        {
            lock (_gate)
            {
                _jobs[job.Name] = job;
            }
        }

        public TestJob Get(string name)
        {
            lock (_gate)
            {
                return _jobs[name];
            }
        }

        public Task<TestJob?> FindAsync(string name, CancellationToken ct)
        {
            lock (_gate)
            {
                return Task.FromResult(_jobs.GetValueOrDefault(name));
            }
        }

        public Task<TestJob?> UpdateAsync(string name, Func<TestJob, TestJob?> change, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            lock (_gate)
            {
                if (!_jobs.TryGetValue(name, out var current) || change(current) is not { } changed)
                {
                    return Task.FromResult<TestJob?>(null);
                }

                _jobs[name] = changed;
                return Task.FromResult<TestJob?>(changed);
            }
        }
    }

    private sealed class CountingSlots(int capacity) : IJobSlots, IDisposable
    {
        private readonly SemaphoreSlim _free = new(capacity);
        private int _running;
        private int _acquired;

        public int Capacity => capacity;

        public int Running => Volatile.Read(ref _running);

        public int Waiting => 0;

        public int Acquired => Volatile.Read(ref _acquired);

        public void Dispose() => _free.Dispose();

        public async Task<IDisposable> AcquireAsync(CancellationToken ct)
        {
            await _free.WaitAsync(ct);
            Interlocked.Increment(ref _running);
            Interlocked.Increment(ref _acquired);
            return new Slot(this);
        }

        private sealed class Slot(CountingSlots slots) : IDisposable
        {
            private int _disposed;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref slots._running);
                    slots._free.Release();
                }
            }
        }
    }
}
