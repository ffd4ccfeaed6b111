namespace Kiln.Core.Jobs;

/// <summary>
/// Runs one kind of long work (training jobs, processing jobs, transform jobs, …) for the job engine.
/// The engine decides where and when a job runs and restarts it when the node running it is lost;
/// the runner owns the job's domain state (statuses, history, results) in its own store.
/// </summary>
public interface IJobRunner
{
    /// <summary>The kind of job this runner handles, e.g. "training".</summary>
    string Kind { get; }

    /// <summary>True when the job no longer needs running (it ended, or does not exist).</summary>
    Task<bool> IsFinishedAsync(string name, CancellationToken ct = default);

    /// <summary>Runs the job to an end. Returns when it has Completed, Failed or Stopped, or throws when the node shuts down.</summary>
    Task RunAsync(JobRun run);
}

/// <summary>One attempt at running a job on one node.</summary>
/// <param name="Name">The job's name.</param>
/// <param name="IsRestart">True when an earlier attempt was interrupted (its node was lost or restarted).</param>
/// <param name="Node">The node (silo) running this attempt.</param>
/// <param name="Slots">The node's job slots: a job holds one while it does its heavy work.</param>
/// <param name="StopRequested">Cancelled when a user asks the job to stop: the job should end as Stopped.</param>
/// <param name="NodeShutdown">Cancelled when this node goes down: the job stays in progress and is resumed elsewhere.</param>
public sealed record JobRun(
    string Name,
    bool IsRestart,
    string Node,
    IJobSlots Slots,
    CancellationToken StopRequested,
    CancellationToken NodeShutdown);

/// <summary>A node's limit on concurrent jobs; waiting jobs are served in arrival order.</summary>
public interface IJobSlots
{
    int Capacity { get; }

    int Running { get; }

    int Waiting { get; }

    /// <summary>Waits for a free slot (first come, first served); dispose the result to free it.</summary>
    Task<IDisposable> AcquireAsync(CancellationToken ct);
}

/// <summary>Starts and stops jobs on the engine, wherever in the cluster they run.</summary>
public interface IJobScheduler
{
    Task StartAsync(string kind, string name, CancellationToken ct = default);

    Task StopAsync(string kind, string name, CancellationToken ct = default);
}
