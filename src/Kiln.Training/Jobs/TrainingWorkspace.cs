namespace Kiln.Training.Jobs;

/// <summary>Where training jobs keep their local files: <c>{root}/training/{job}/</c> (inputs, model, logs).</summary>
public sealed record TrainingWorkspace(string Root)
{
    public string JobsDirectory => Path.Combine(Root, "training");

    public string JobDirectory(string name) => Path.Combine(JobsDirectory, name);

    /// <summary>The job's log, kept across attempts: what <c>kiln jobs logs</c> shows.</summary>
    public string LogFile(string name) => Path.Combine(JobDirectory(name), "log.txt");
}
