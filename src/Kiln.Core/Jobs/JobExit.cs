namespace Kiln.Core.Jobs;

/// <summary>How an attempt's work ended when it did not end the job itself.</summary>
public enum JobExitKind
{
    /// <summary>A stop was asked for before the work began.</summary>
    StoppedBeforeStart,

    /// <summary>A user asked the job to stop while it ran.</summary>
    Stopped,

    /// <summary>The job ran longer than its maximum runtime.</summary>
    RuntimeExceeded,

    /// <summary>The runner's own cancellation (<see cref="JobRunOptions.Cancelled"/>) cut the work short.</summary>
    Cancelled,

    /// <summary>The work threw.</summary>
    Failed,
}

/// <param name="Kind">How the work ended.</param>
/// <param name="Error">What the work threw, if it threw.</param>
/// <param name="FailureReason">For <see cref="JobExitKind.Failed"/>: the reason to store, already cut to SageMaker's length.</param>
/// <param name="Unexpected">For <see cref="JobExitKind.Failed"/>: the failure was not one the runner expects (a fault in Kiln); it has been logged.</param>
public sealed record JobExit(JobExitKind Kind, Exception? Error = null, string? FailureReason = null, bool Unexpected = false);

/// <summary>What <see cref="JobAttempt{TJob}.RunAsync"/> does around the runner's work.</summary>
public sealed record JobRunOptions
{
    /// <summary>End the job at once (<see cref="JobExitKind.StoppedBeforeStart"/>) when a stop was asked for before the work began.</summary>
    public bool EndIfStoppedBeforeStart { get; init; }

    /// <summary>Hold one of the node's job slots while the work runs (released on every path).</summary>
    public bool HoldsSlot { get; init; }

    /// <summary>Told why the attempt waits, when it must wait for a slot.</summary>
    public Func<string, Task>? WaitingForSlot { get; init; }

    /// <summary>Told when the node shuts down under the work: the job stays in progress, to be resumed elsewhere.</summary>
    public Action? Interrupted { get; init; }

    /// <summary>The work is cancelled after this long (<see cref="JobExitKind.RuntimeExceeded"/>).</summary>
    public TimeSpan? MaxRuntime { get; init; }

    /// <summary>The runner's own reason to cut the work short (<see cref="JobExitKind.Cancelled"/>), e.g. early stopping.</summary>
    public CancellationToken Cancelled { get; init; }

    /// <summary>
    /// The failure reason of a failure the runner expects, or null for one it does not: that one is logged as a
    /// fault in Kiln and stored as "InternalServerError: …".
    /// </summary>
    public Func<Exception, string?>? ExpectedFailure { get; init; }
}
