namespace Kiln.Jobs;

/// <summary>How this node takes part in the job engine.</summary>
public sealed class JobEngineOptions
{
    /// <summary>How many jobs run at once on this node; more wait in arrival order. 0 makes an API-only node.</summary>
    public int JobSlots { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// How often a running job's watchdog reminder fires. After a node is lost, its jobs resume within about
    /// this long (plus failure detection); it is also Orleans' minimum reminder period.
    /// </summary>
    public TimeSpan WatchdogPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
