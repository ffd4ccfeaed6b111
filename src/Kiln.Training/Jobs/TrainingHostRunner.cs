using Kiln.Core.Artifacts;
using Kiln.Core.Training;

namespace Kiln.Training.Jobs;

/// <summary>
/// Runs one secondary host (algo-2 …) of a distributed training job on this node, as SageMaker runs each instance:
/// its own copy of the channels and the code, its own /opt/ml tree (under <c>attempt-N/{host}</c>), the same script
/// told which host it is. Only algo-1's model and output are uploaded; what the other hosts write there is dropped.
/// </summary>
public sealed class TrainingHostRunner(ITrainingJobStore store, ITrainerCatalog trainers, DataUris data, TrainingWorkspace workspace, TimeProvider clock) : ITrainingHostRunner
{
    public async Task RunAsync(string jobName, int attempt, TrainingHosts hosts, Action<string> onLine, CancellationToken ct)
    {
        var job = await store.FindAsync(jobName, ct).ConfigureAwait(false)
            ?? throw new TrainingFailedException($"the training job '{jobName}' does not exist.");
        if (job.Attempt != attempt || job.IsFinished)
        {
            throw new TrainingFailedException($"attempt {attempt} of '{jobName}' is no longer the job's current attempt.");
        }

        var trainer = trainers.Resolve(job.Spec);
        var directory = Path.Combine(workspace.JobDirectory(jobName), $"attempt-{attempt}", hosts.Current);
        onLine($"Downloading input data on {hosts.Current}");
        var channels = await TrainingJobRunner.DownloadChannelsAsync(data, job.Spec, Path.Combine(directory, "input", "data"), ct).ConfigureAwait(false);
        var model = Directory.CreateDirectory(Path.Combine(directory, "model")).FullName;
        var output = Directory.CreateDirectory(Path.Combine(directory, "output", "data")).FullName;
        var context = new TrainingContext(jobName, job.Spec.HyperParameters, channels, model, output, directory, new LineReporter(onLine), clock, ct, hosts);
        await trainer.TrainAsync(context).ConfigureAwait(false);
    }

    /// <summary>A secondary host's reporter: its lines are its log stream; metrics and statuses are algo-1's to report.</summary>
    private sealed class LineReporter(Action<string> onLine) : ITrainingReporter
    {
        public void Log(string line) => onLine(line);

        public void Metric(string name, double value, long? step = null)
        {
        }

        public void Status(string secondaryStatus, string message)
        {
        }
    }
}

/// <summary>Runs a distributed job's secondary hosts as processes on this node: the embedded (one machine) mode.</summary>
public sealed class LocalTrainingHostLauncher(ITrainingHostRunner runner) : ITrainingHostLauncher
{
    public string LocalAddress => "127.0.0.1";

    public Task RunAsync(string jobName, int attempt, TrainingHosts hosts, Action<string, string> onLine, CancellationToken ct) =>
        TrainingHostGroup.RunAllAsync(
            hosts.All.Skip(1).Select(host => (Func<CancellationToken, Task>)(async token =>
            {
                try
                {
                    onLine(host, $"Kiln: {host} runs on this node (rank {hosts.As(host).Rank} of {hosts.All.Count})");
                    await runner.RunAsync(jobName, attempt, hosts.As(host), line => onLine(host, line), token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw TrainingHostGroup.Named(host, e);
                }
            })).ToList(),
            ct);
}
