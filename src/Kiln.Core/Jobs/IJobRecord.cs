namespace Kiln.Core.Jobs;

/// <summary>A stored job the shared lifecycle can drive: the attempt it is on, whether it has ended, whether a stop was asked for.</summary>
public interface IJobRecord<TJob>
    where TJob : class, IJobRecord<TJob>
{
    int Attempt { get; }

    bool IsFinished { get; }

    bool StopRequested { get; }

    TJob WithAttempt(int attempt);

    TJob WithLastModifiedTime(DateTimeOffset time);
}

/// <summary>A store's atomic read-change-write of one job: the change gets the stored job and returns the new one, or null to write nothing.</summary>
public delegate Task<TJob?> JobUpdate<TJob>(string name, Func<TJob, TJob?> change, CancellationToken ct)
    where TJob : class;
