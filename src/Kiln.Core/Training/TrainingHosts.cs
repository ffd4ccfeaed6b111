using System.Globalization;

namespace Kiln.Core.Training;

/// <summary>
/// The instances of one training job as its script sees them (SageMaker's contract): hosts named <c>algo-1</c> …
/// <c>algo-N</c>, the one this process is, and where rank 0 (algo-1) listens for the others (MASTER_ADDR/MASTER_PORT).
/// </summary>
public sealed record TrainingHosts(string Current, IReadOnlyList<string> All, string MasterAddress, int MasterPort)
{
    /// <summary>One instance: what every job that is not distributed sees.</summary>
    public static TrainingHosts Single { get; } = new("algo-1", ["algo-1"], "127.0.0.1", 0);

    public static IReadOnlyList<string> Names(int count) =>
        Enumerable.Range(1, count).Select(index => "algo-" + index.ToString(CultureInfo.InvariantCulture)).ToList();

    /// <summary>This host's rank: its place in <see cref="All"/> (algo-1 is rank 0).</summary>
    public int Rank => IndexOf(Current);

    public bool IsDistributed => All.Count > 1;

    public TrainingHosts As(string host) => this with { Current = host };

    private int IndexOf(string host)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (All[i] == host)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{host}' is not one of the job's hosts.", nameof(host));
    }
}

/// <summary>
/// Runs one secondary host (algo-2 …) of a distributed training job on this node: downloads its channels, stages the
/// code and runs the script as that host. Its log lines go to <c>onLine</c>; a failure throws <see cref="TrainingFailedException"/>.
/// </summary>
public interface ITrainingHostRunner
{
    Task RunAsync(string jobName, int attempt, TrainingHosts hosts, Action<string> onLine, CancellationToken ct);
}

/// <summary>
/// Starts a distributed job's secondary hosts: on other nodes of a cluster where there are any (one host a node while
/// nodes last), on this node otherwise.
/// </summary>
public interface ITrainingHostLauncher
{
    /// <summary>The address the other hosts reach this node at: algo-1's MASTER_ADDR.</summary>
    string LocalAddress { get; }

    /// <summary>
    /// Runs every host of <paramref name="hosts"/> but algo-1 and completes when all exited 0. Lines come with their
    /// host's name; the first failure throws <see cref="TrainingFailedException"/> naming the host, after the others are stopped.
    /// </summary>
    Task RunAsync(string jobName, int attempt, TrainingHosts hosts, Action<string, string> onLine, CancellationToken ct);
}

/// <summary>Runs a job's hosts together: all succeed, or the first failure stops the rest and is what the caller sees.</summary>
public static class TrainingHostGroup
{
    public static async Task RunAllAsync(IReadOnlyList<Func<CancellationToken, Task>> hosts, CancellationToken ct)
    {
        using var group = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pending = hosts.Select(host => Task.Run(() => host(group.Token), CancellationToken.None)).ToList();
        Exception? first = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (done.Status != TaskStatus.RanToCompletion && first is null)
            {
                // The first to end badly is the cause; the others then end because they were stopped.
                first = done.Exception?.InnerException ?? new OperationCanceledException(ct);
                await group.CancelAsync().ConfigureAwait(false);
            }
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>A host's failure as the job's: its message, named by host, so FailureReason says which one failed.</summary>
    public static Exception Named(string host, Exception failure) => failure switch
    {
        OperationCanceledException => failure,
        TrainingFailedException or TrainingValidationException => new TrainingFailedException($"{host}: {failure.Message}", failure),
        Common.KilnException => new TrainingFailedException($"{host}: {failure.Message}", failure),
        _ => failure,
    };
}
