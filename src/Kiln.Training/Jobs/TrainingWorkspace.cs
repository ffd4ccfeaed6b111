namespace Kiln.Training.Jobs;

/// <summary>Where training jobs keep their local files: <c>{root}/training/{job}/</c> (inputs, model, logs).</summary>
public sealed record TrainingWorkspace(string Root)
{
    public string JobsDirectory => Path.Combine(Root, "training");

    public string JobDirectory(string name) => Path.Combine(JobsDirectory, name);

    /// <summary>The job's log, kept across attempts: what <c>kiln jobs logs</c> shows. In a distributed job, algo-1's.</summary>
    public string LogFile(string name) => Path.Combine(JobDirectory(name), "log.txt");

    /// <summary>
    /// A host's log: algo-1's is <see cref="LogFile"/>; the other hosts of a distributed job (algo-2 …) each have
    /// <c>log-{host}.txt</c> beside it, on the node that runs the job (their lines are sent there).
    /// </summary>
    public string HostLogFile(string name, string host) =>
        host == "algo-1" ? LogFile(name) : Path.Combine(JobDirectory(name), $"log-{host}.txt");
}
