namespace Kiln.Core.Training;

/// <summary>
/// Tells waiters on this node that a training job has ended, so a tuning job starts its next trial at once
/// rather than at its next poll (a trial on small data lasts a fraction of a second). Waiters still poll: a
/// trial that ran on another node ends without this node hearing of it.
/// </summary>
public sealed class TrainingJobEvents
{
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Ended()
    {
        var previous = Interlocked.Exchange(ref _ended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    /// <summary>Completes when any training job ends, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        var ended = Volatile.Read(ref _ended).Task;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, clock, timer.Token);
        await Task.WhenAny(ended, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }
}
