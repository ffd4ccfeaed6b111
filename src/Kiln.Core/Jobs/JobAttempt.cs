namespace Kiln.Core.Jobs;

/// <summary>
/// One attempt at a job, begun by <see cref="JobLifecycle{TJob}.BeginAsync"/>. Every write goes through it and
/// is dropped (the attempt gives way) once a newer attempt has begun; the job is ended once, by whichever
/// write ends it first.
/// </summary>
public sealed class JobAttempt<TJob>
    where TJob : class, IJobRecord<TJob>
{
    private readonly JobLifecycle<TJob> _lifecycle;

    internal JobAttempt(JobLifecycle<TJob> lifecycle, JobRun run, TJob job)
    {
        _lifecycle = lifecycle;
        Run = run;
        Job = job;
    }

    /// <summary>The job as this attempt claimed it.</summary>
    public TJob Job { get; }

    public JobRun Run { get; }

    public string Name => Run.Name;

    /// <summary>The attempt number: the job's <see cref="IJobRecord{TJob}.Attempt"/> while this attempt is the latest.</summary>
    public int Number => Job.Attempt;

    /// <summary>Whether a stop was asked for (stored on the job when the attempt began, or signalled since).</summary>
    public bool StopRequested => Job.StopRequested || Run.StopRequested.IsCancellationRequested;

    /// <summary>
    /// Writes a change (and the job's last-modified time) while this attempt is the latest; a change returning null
    /// writes nothing. Returns the job as written, or null when nothing was written.
    /// </summary>
    /// <exception cref="AttemptSupersededException">A newer attempt has begun; <see cref="RunAsync"/> ends the attempt quietly.</exception>
    public Task<TJob?> ChangeAsync(Func<TJob, TJob?> change, CancellationToken ct = default) =>
        _lifecycle.ChangeAsync(Name, Number, change, ct);

    /// <summary>Ends the job (the change gets the time it ends), unless it has already ended.</summary>
    public Task<TJob?> EndAsync(Func<TJob, DateTimeOffset, TJob> end)
    {
        var now = _lifecycle.Clock.GetUtcNow();
        return ChangeAsync(job => job.IsFinished ? null : end(job, now));
    }

    /// <summary>
    /// Runs the attempt's work, which ends the job when it succeeds, and ends the job through <paramref name="end"/>
    /// when the work is stopped, runs out of time, is cut short or fails. When the node shuts down the job is left
    /// in progress (to be resumed elsewhere) and the cancellation is rethrown; when a newer attempt has begun,
    /// this one ends without another write.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> work, Func<JobExit, Task> end, JobRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(end);
        options ??= new JobRunOptions();
        if (options.EndIfStoppedBeforeStart && StopRequested)
        {
            await EndQuietlyAsync(end, new JobExit(JobExitKind.StoppedBeforeStart)).ConfigureAwait(false);
            return;
        }

        using var runtime = new CancellationTokenSource(options.MaxRuntime ?? Timeout.InfiniteTimeSpan);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Run.StopRequested, Run.NodeShutdown, runtime.Token, options.Cancelled);
        JobExit exit;
        try
        {
            await RunHoldingSlotAsync(work, options, cancel.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (Run.NodeShutdown.IsCancellationRequested)
        {
            _lifecycle.LogInterrupted(Name, Number);
            options.Interrupted?.Invoke();
            throw;
        }
        catch (AttemptSupersededException)
        {
            _lifecycle.LogSuperseded(Name, Number);
            return;
        }
        catch (OperationCanceledException e) when (options.Cancelled.IsCancellationRequested)
        {
            exit = new JobExit(JobExitKind.Cancelled, e);
        }
        catch (OperationCanceledException e) when (Run.StopRequested.IsCancellationRequested)
        {
            exit = new JobExit(JobExitKind.Stopped, e);
        }
        catch (OperationCanceledException e) when (runtime.IsCancellationRequested)
        {
            exit = new JobExit(JobExitKind.RuntimeExceeded, e);
        }
        catch (Exception e)
        {
            exit = Failed(e, options);
        }

        await EndQuietlyAsync(end, exit).ConfigureAwait(false);
    }

    private async Task RunHoldingSlotAsync(Func<CancellationToken, Task> work, JobRunOptions options, CancellationToken ct)
    {
        if (!options.HoldsSlot)
        {
            await work(ct).ConfigureAwait(false);
            return;
        }

        var slots = Run.Slots;
        if (slots.Running >= slots.Capacity && options.WaitingForSlot is { } waiting)
        {
            await waiting($"Waiting for a free job slot on {Run.Node}: {slots.Running} running, {slots.Waiting} waiting").ConfigureAwait(false);
        }

        using var slot = await slots.AcquireAsync(ct).ConfigureAwait(false);
        await work(ct).ConfigureAwait(false);
    }

    private JobExit Failed(Exception error, JobRunOptions options)
    {
        if (error is Artifacts.JobOutputsException)
        {
            return new JobExit(JobExitKind.Failed, error, JobFailure.Truncate(error.Message));
        }

        if (options.ExpectedFailure?.Invoke(error) is { } reason)
        {
            return new JobExit(JobExitKind.Failed, error, JobFailure.Truncate(reason));
        }

        _lifecycle.LogFailed(error, Name);
        return new JobExit(JobExitKind.Failed, error, JobFailure.Truncate($"InternalServerError: {error.Message}"), Unexpected: true);
    }

    private async Task EndQuietlyAsync(Func<JobExit, Task> end, JobExit exit)
    {
        try
        {
            await end(exit).ConfigureAwait(false);
        }
        catch (AttemptSupersededException)
        {
            _lifecycle.LogSuperseded(Name, Number);
        }
    }
}
