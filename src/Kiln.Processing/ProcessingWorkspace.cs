namespace Kiln.Processing;

/// <summary>Where processing jobs run: one folder per job, one per attempt inside it, the job's log beside them.</summary>
public sealed record ProcessingWorkspace(string Root)
{
    public string JobDirectory(string name) => Path.Combine(Root, name);

    public string LogFile(string name) => Path.Combine(Root, name, "job.log");
}
