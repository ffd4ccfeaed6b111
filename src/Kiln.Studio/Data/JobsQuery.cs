using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Logs;
using Kiln.Core.Processing;
using Kiln.Core.Training;
using Kiln.Core.Transform;

namespace Kiln.Studio.Data;

/// <summary>
/// The Jobs area's questions, asked of the training, processing and transform services in process: the list (all
/// kinds together, filtered by kind and status), one job as a <see cref="JobView"/>, its log's tail, and stop.
/// </summary>
public sealed class JobsQuery(TrainingJobService training, ProcessingJobService processing, TransformJobService transform, IJobLogFiles logs)
{
    /// <summary>How many of each kind the list reads (newest first).</summary>
    public const int ListLimit = 100;

    public const int LogTailLines = 200;

    public static readonly IReadOnlyList<string> Statuses = ["InProgress", "Completed", "Failed", "Stopping", "Stopped"];

    public async Task<IReadOnlyList<JobSummary>> ListAsync(string? kind, string? status, CancellationToken ct = default)
    {
        var query = new ListQuery(Status: Statuses.Contains(status) ? status : null, MaxResults: ListLimit);
        var jobs = new List<JobSummary>();
        if (kind is null or JobKinds.Training)
        {
            jobs.AddRange((await training.ListAsync(query, ct)).Items.Select(job =>
                new JobSummary(JobKinds.Training, job.Name, job.Status.ToString(), job.CreationTime, job.TrainingEndTime)));
        }

        if (kind is null or JobKinds.Processing)
        {
            jobs.AddRange((await processing.ListAsync(query, ct)).Items.Select(job =>
                new JobSummary(JobKinds.Processing, job.Name, job.Status.ToString(), job.CreationTime, job.ProcessingEndTime)));
        }

        if (kind is null or JobKinds.Transform)
        {
            jobs.AddRange((await transform.ListAsync(query, ct)).Items.Select(job =>
                new JobSummary(JobKinds.Transform, job.Name, job.Status.ToString(), job.CreationTime, job.TransformEndTime)));
        }

        return jobs.OrderByDescending(job => job.CreationTime).ToList();
    }

    /// <summary>The job as its page shows it; null when there is no such job (or no such kind).</summary>
    public async Task<JobView?> FindAsync(string kind, string name, CancellationToken ct = default)
    {
        try
        {
            return kind switch
            {
                JobKinds.Training => View(await training.DescribeAsync(name, ct)),
                JobKinds.Processing => View(await processing.DescribeAsync(name, ct)),
                JobKinds.Transform => View(await transform.DescribeAsync(name, ct)),
                _ => null,
            };
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <summary>Asks the job's own service to stop it, as StopTrainingJob, StopProcessingJob and StopTransformJob do.</summary>
    public Task StopAsync(string kind, string name, CancellationToken ct = default) => kind switch
    {
        JobKinds.Training => training.StopAsync(name, ct),
        JobKinds.Processing => processing.StopAsync(name, ct),
        JobKinds.Transform => transform.StopAsync(name, ct),
        _ => throw KilnException.NotFound($"There is no job kind '{kind}'."),
    };

    /// <summary>The last <see cref="LogTailLines"/> lines of the job's log, and how many lines it has in all.</summary>
    public (IReadOnlyList<JobLogLine> Tail, int Total) LogTail(string kind, string name)
    {
        if (JobKinds.LogKind(kind) is not { } logKind)
        {
            return ([], 0);
        }

        var lines = JobLogReader.Read(logs.LogFile(logKind, name));
        return (lines.Skip(Math.Max(0, lines.Count - LogTailLines)).ToList(), lines.Count);
    }

    /// <summary>The log file's size: cheap to read every second, and it grows with each line.</summary>
    public long LogLength(string kind, string name)
    {
        if (JobKinds.LogKind(kind) is not { } logKind)
        {
            return 0;
        }

        var file = new FileInfo(logs.LogFile(logKind, name));
        return file.Exists ? file.Length : 0;
    }

    private static JobView View(TrainingJob job) => new()
    {
        Kind = JobKinds.Training,
        Name = job.Name,
        Status = job.Status.ToString(),
        SecondaryStatus = job.SecondaryStatus,
        FailureReason = job.FailureReason,
        IsFinished = job.IsFinished,
        CreationTime = job.CreationTime,
        StartTime = job.TrainingStartTime,
        EndTime = job.TrainingEndTime,
        Facts =
        [
            ("Algorithm", job.Spec.TrainingImage ?? job.Spec.AlgorithmName ?? "–"),
            ("Instances", $"{job.Spec.InstanceCount} × {job.Spec.InstanceType}"),
            ("Input mode", job.Spec.TrainingInputMode),
            ("Max runtime", $"{job.Spec.MaxRuntimeInSeconds} s"),
            ("Created by", job.Spec.CreatedBy),
        ],
        Timeline = job.Transitions.Select(t => new TimelineStep(t.Status, t.StartTime, t.EndTime, t.Message)).ToList(),
        Inputs = job.Spec.Channels.Select(channel => new JobLocation(
            channel.Name, channel.Uri, $"{channel.DataType}, {channel.ContentType ?? "no content type"}, compression {channel.CompressionType}")).ToList(),
        Outputs =
        [
            new JobLocation("Output path", job.Spec.OutputPath, "where the job writes"),
            .. job.ModelArtifacts is { } model ? [new JobLocation("Model artifacts", model, "model.tar.gz")] : Array.Empty<JobLocation>(),
        ],
        Settings = job.Spec.HyperParameters.Select(p => (p.Key, p.Value)).ToList(),
        FinalMetrics = job.FinalMetrics.Select(m => (m.Name, m.Value)).ToList(),
        RunId = job.RunId,
        TuningJobName = job.Spec.TuningJobName,
    };

    private static JobView View(ProcessingJob job) => new()
    {
        Kind = JobKinds.Processing,
        Name = job.Name,
        Status = job.Status.ToString(),
        // The exit message is what the container wrote to /opt/ml/output/message, on success too: not a failure reason.
        FailureReason = job.FailureReason,
        IsFinished = job.IsFinished,
        CreationTime = job.CreationTime,
        StartTime = job.ProcessingStartTime,
        EndTime = job.ProcessingEndTime,
        Facts =
        [
            ("Image", job.Spec.ImageUri),
            ("Entrypoint", string.Join(' ', job.Spec.ContainerEntrypoint.Concat(job.Spec.ContainerArguments))),
            ("Instances", $"{job.Spec.InstanceCount} × {job.Spec.InstanceType}"),
            ("Max runtime", $"{job.Spec.MaxRuntimeInSeconds} s"),
            ("Created by", job.Spec.CreatedBy),
            .. job.ExitMessage is { } exitMessage ? [("Exit message", exitMessage)] : Array.Empty<(string, string)>(),
        ],
        Timeline = Steps(job.CreationTime, job.ProcessingStartTime, job.ProcessingEndTime, job.Status.ToString(), job.FailureReason),
        Inputs = job.Spec.Inputs.Select(input => new JobLocation(input.Name, input.Uri, $"→ {input.LocalPath} ({input.DataType}, {input.InputMode})")).ToList(),
        Outputs = job.Spec.Outputs.Select(output => new JobLocation(output.Name, output.Uri, $"← {output.LocalPath} ({output.UploadMode})")).ToList(),
        Settings = job.Spec.Environment.Select(p => (p.Key, p.Value)).ToList(),
    };

    private static JobView View(TransformJob job) => new()
    {
        Kind = JobKinds.Transform,
        Name = job.Name,
        Status = job.Status.ToString(),
        FailureReason = job.FailureReason,
        IsFinished = job.IsFinished,
        CreationTime = job.CreationTime,
        StartTime = job.TransformStartTime,
        EndTime = job.TransformEndTime,
        Facts =
        [
            ("Model", job.Spec.ModelName),
            ("Instances", $"{job.Spec.InstanceCount} × {job.Spec.InstanceType}"),
            ("Batch strategy", job.Spec.BatchStrategy),
            ("Progress", string.Create(CultureInfo.InvariantCulture, $"{job.Progress.FilesDone}/{job.Progress.FilesTotal} files, {job.Progress.RecordsDone}/{job.Progress.RecordsTotal} records")),
            ("Created by", job.Spec.CreatedBy),
        ],
        Timeline = Steps(job.CreationTime, job.TransformStartTime, job.TransformEndTime, job.Status.ToString(), job.FailureReason),
        Inputs = [new JobLocation("Input", job.Spec.InputUri, $"{job.Spec.InputDataType}, {job.Spec.ContentType ?? "no content type"}, split {job.Spec.SplitType}")],
        Outputs = [new JobLocation("Output", job.Spec.OutputPath, $"assemble with {job.Spec.AssembleWith}, accept {job.Spec.Accept ?? "–"}")],
        Settings = job.Spec.Environment.Select(p => (p.Key, p.Value)).ToList(),
    };

    /// <summary>Processing and transform jobs keep no transitions, only times: the timeline is built from those.</summary>
    private static List<TimelineStep> Steps(DateTimeOffset created, DateTimeOffset? started, DateTimeOffset? ended, string status, string? reason)
    {
        var steps = new List<TimelineStep> { new("Created", created, started ?? ended, null) };
        if (started is { } start)
        {
            steps.Add(new TimelineStep("Running", start, ended, null));
        }

        if (ended is { } end)
        {
            steps.Add(new TimelineStep(status, end, end, reason));
        }

        return steps;
    }
}
