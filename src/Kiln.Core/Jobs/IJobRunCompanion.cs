namespace Kiln.Core.Jobs;

/// <summary>Work that goes alongside every job run on this node, such as copying the job's logs where other nodes read them.</summary>
public interface IJobRunCompanion
{
    /// <summary>Runs while the job of <paramref name="kind"/> runs; <paramref name="run"/> completes when the run ends, and this returns once its own last step is done.</summary>
    Task AccompanyAsync(string kind, string name, Task run, CancellationToken ct);
}
