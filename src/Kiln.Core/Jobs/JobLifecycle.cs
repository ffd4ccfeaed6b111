using Microsoft.Extensions.Logging;

namespace Kiln.Core.Jobs;

/// <summary>
/// The part every job runner shares: each run of a job claims the next attempt number in one atomic write, and
/// the attempt then writes only while it is the job's latest, so the attempt of a node thought lost can't
/// overwrite the attempt that replaced it. A runner keeps one of these and begins an attempt per run.
/// </summary>
/// <param name="kind">The kind of job, for the log ("training", "processing", …).</param>
/// <param name="find">The store's read of one job.</param>
/// <param name="update">The store's atomic update of one job.</param>
public sealed partial class JobLifecycle<TJob>(string kind, Func<string, CancellationToken, Task<TJob?>> find, JobUpdate<TJob> update, TimeProvider clock, ILogger logger)
    where TJob : class, IJobRecord<TJob>
{
    internal TimeProvider Clock => clock;

    /// <summary>True when the job no longer needs running: it ended, or does not exist (<see cref="IJobRunner.IsFinishedAsync"/>).</summary>
    public async Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) =>
        await find(name, ct).ConfigureAwait(false) is not { IsFinished: false };

    /// <summary>Claims the run's attempt (<see cref="BeginAsync"/>) and runs it; a job that has ended is not run again.</summary>
    public async Task RunAsync(JobRun run, Func<JobAttempt<TJob>, Task> attempt, Func<TJob, DateTimeOffset, TJob>? restarted = null)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (await BeginAsync(run, restarted).ConfigureAwait(false) is { } claimed)
        {
            await attempt(claimed).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Claims the next attempt: null when the job has ended or does not exist. <paramref name="restarted"/> records
    /// on the claimed job that an earlier attempt was interrupted (the run is a restart, or an attempt came before).
    /// </summary>
    public async Task<JobAttempt<TJob>?> BeginAsync(JobRun run, Func<TJob, DateTimeOffset, TJob>? restarted = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var now = clock.GetUtcNow();
        var job = await update(run.Name, current =>
        {
            if (current.IsFinished)
            {
                return null;
            }

            var next = current.WithAttempt(current.Attempt + 1).WithLastModifiedTime(now);
            return restarted is not null && (run.IsRestart || current.Attempt > 0) ? restarted(next, now) : next;
        }, CancellationToken.None).ConfigureAwait(false);
        return job is null ? null : new JobAttempt<TJob>(this, run, job);
    }

    /// <summary>Writes a change on behalf of one attempt, unless a newer attempt has begun.</summary>
    internal async Task<TJob?> ChangeAsync(string name, int attempt, Func<TJob, TJob?> change, CancellationToken ct)
    {
        var superseded = false;
        var changed = await update(name, current =>
        {
            if (current.Attempt != attempt)
            {
                superseded = true;
                return null;
            }

            return change(current)?.WithLastModifiedTime(clock.GetUtcNow());
        }, ct).ConfigureAwait(false);
        return superseded ? throw new AttemptSupersededException(name, attempt) : changed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} job {Name} attempt {Attempt} was interrupted: its node is shutting down")]
    private partial void LogInterrupted(string kind, string name, int attempt);

    internal void LogInterrupted(string name, int attempt) => LogInterrupted(kind, name, attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Kind} job {Name} attempt {Attempt} gave way to a newer attempt")]
    private partial void LogSuperseded(string kind, string name, int attempt);

    internal void LogSuperseded(string name, int attempt) => LogSuperseded(kind, name, attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Kind} job {Name} failed inside Kiln")]
    private partial void LogFailed(Exception exception, string kind, string name);

    internal void LogFailed(Exception exception, string name) => LogFailed(exception, kind, name);
}
