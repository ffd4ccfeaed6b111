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

    /// <summary>What this node is in a cluster: "server" (serves the APIs, may run jobs) or "worker" (runs jobs only).</summary>
    public string Role { get; set; } = "server";

    /// <summary>The Kiln version this node runs (nodes of one cluster must run the same).</summary>
    public string Version { get; set; } = KilnVersion.Current;
}

/// <summary>This build's version: the informational version of the job engine's assembly (with the source revision when built from git).</summary>
public static class KilnVersion
{
    public static string Current { get; } =
        typeof(KilnVersion).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(KilnVersion).Assembly.GetName().Version?.ToString() ?? "unknown";
}
