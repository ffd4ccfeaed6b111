using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Processing;

public enum ProcessingJobStatus
{
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>Data brought into the container before the command starts: everything under <see cref="Uri"/> lands in <see cref="LocalPath"/>.</summary>
public sealed record ProcessingInput(string Name, string Uri, string LocalPath, string DataType = "S3Prefix", string InputMode = "File", string DistributionType = "FullyReplicated", string CompressionType = "None");

/// <summary>A folder the command writes to; its files are uploaded under <see cref="Uri"/> when the job ends.</summary>
public sealed record ProcessingOutput(string Name, string Uri, string LocalPath, string UploadMode = "EndOfJob");

/// <summary>What CreateProcessingJob asks for: a command in an image, its inputs and outputs, its limits.</summary>
public sealed record ProcessingJobSpec
{
    public required string Name { get; init; }

    public required string ImageUri { get; init; }

    public IReadOnlyList<string> ContainerEntrypoint { get; init; } = [];

    public IReadOnlyList<string> ContainerArguments { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ProcessingInput> Inputs { get; init; } = [];

    public IReadOnlyList<ProcessingOutput> Outputs { get; init; } = [];

    public string InstanceType { get; init; } = "ml.m5.large";

    public int InstanceCount { get; init; } = 1;

    public int VolumeSizeInGB { get; init; } = 30;

    public int MaxRuntimeInSeconds { get; init; } = 86_400;

    public string? RoleArn { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public string CreatedBy { get; init; } = "anonymous";

    /// <summary>The NetworkConfig as the caller sent it (JSON): kept and echoed, not acted on.</summary>
    public string? NetworkConfig { get; init; }

    /// <summary>What the job asked for that Kiln does not do: the first lines of its log.</summary>
    public IReadOnlyList<string> NotActedOn { get; init; } = [];
}

public sealed record ProcessingJob
{
    public required ProcessingJobSpec Spec { get; init; }

    public string Name => Spec.Name;

    public ProcessingJobStatus Status { get; init; } = ProcessingJobStatus.InProgress;

    public string? FailureReason { get; init; }

    /// <summary>What the command wrote to <c>/opt/ml/output/message</c>, as SageMaker reports it.</summary>
    public string? ExitMessage { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? ProcessingStartTime { get; init; }

    public DateTimeOffset? ProcessingEndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public bool StopRequested { get; init; }

    public int Attempt { get; init; }

    /// <summary>The SHA-256 of each input's content when it was read, by input name (lineage).</summary>
    public IReadOnlyDictionary<string, string> InputHashes { get; init; } = new Dictionary<string, string>();

    public bool IsFinished => Status is ProcessingJobStatus.Completed or ProcessingJobStatus.Failed or ProcessingJobStatus.Stopped;
}

public interface IProcessingJobStore
{
    /// <summary>Stores a new job; false when the name is taken.</summary>
    Task<bool> AddAsync(ProcessingJob job, CancellationToken ct = default);

    Task<ProcessingJob?> FindAsync(string name, CancellationToken ct = default);

    Task<ProcessingJob?> UpdateAsync(string name, Func<ProcessingJob, ProcessingJob?> change, CancellationToken ct = default);

    Task<Page<ProcessingJob>> ListAsync(ListQuery query, CancellationToken ct = default);
}

/// <summary>Processing jobs: accept (checked up front), describe, list, stop; the command runs on the job engine.</summary>
public sealed class ProcessingJobService(IProcessingJobStore store, IJobScheduler scheduler, TimeProvider clock)
{
    public const string JobKind = "processing";

    /// <summary>Where a processing container's inputs and outputs must live, as SageMaker requires.</summary>
    public const string ContainerRoot = "/opt/ml/processing";

    public async Task<ProcessingJob> CreateAsync(ProcessingJobSpec spec, CancellationToken ct = default)
    {
        Validate(spec);
        var now = clock.GetUtcNow();
        var job = new ProcessingJob { Spec = spec, CreationTime = now, LastModifiedTime = now };
        if (!await store.AddAsync(job, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Job name must be unique within an AWS account and region, and a job with this name already exists ({Arns.SageMaker(Arns.DefaultRegion, "processing-job", spec.Name)}).");
        }

        await scheduler.StartAsync(JobKind, spec.Name, ct).ConfigureAwait(false);
        return job;
    }

    public async Task<ProcessingJob> DescribeAsync(string name, CancellationToken ct = default) =>
        await store.FindAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find requested job with name {name}");

    public Task<Page<ProcessingJob>> ListAsync(ListQuery query, CancellationToken ct = default) => store.ListAsync(query, ct);

    public async Task StopAsync(string name, CancellationToken ct = default)
    {
        var job = await DescribeAsync(name, ct).ConfigureAwait(false);
        if (job.IsFinished)
        {
            throw KilnException.InvalidParameter($"The processing job {name} has already ended ({job.Status}); only a job in progress can be stopped.");
        }

        await store.UpdateAsync(name, current => current.IsFinished || current.StopRequested
            ? null
            : current with { StopRequested = true, Status = ProcessingJobStatus.Stopping, LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        await scheduler.StopAsync(JobKind, name, ct).ConfigureAwait(false);
    }

    private static void Validate(ProcessingJobSpec spec)
    {
        if (spec.ContainerEntrypoint.Count == 0)
        {
            throw KilnException.InvalidParameter(
                "AppSpecification.ContainerEntrypoint is required: Kiln runs the processing command on the host, so it needs the command to run (for example [\"python3\", \"/opt/ml/processing/input/code/script.py\"]).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<(string Place, string Path)>();
        foreach (var input in spec.Inputs)
        {
            if (!names.Add(input.Name))
            {
                throw KilnException.InvalidParameter($"ProcessingInputs: the name '{input.Name}' is used more than once; input and output names must be unique.");
            }

            CheckUri($"ProcessingInputs '{input.Name}' S3Uri", input.Uri);
            paths.Add(($"ProcessingInputs '{input.Name}' LocalPath", CheckLocalPath($"ProcessingInputs '{input.Name}' LocalPath", input.LocalPath)));
        }

        foreach (var output in spec.Outputs)
        {
            if (!names.Add(output.Name))
            {
                throw KilnException.InvalidParameter($"ProcessingOutputConfig.Outputs: the name '{output.Name}' is used more than once; input and output names must be unique.");
            }

            CheckUri($"ProcessingOutputConfig.Outputs '{output.Name}' S3Uri", output.Uri);
            paths.Add(($"ProcessingOutputConfig.Outputs '{output.Name}' LocalPath", CheckLocalPath($"ProcessingOutputConfig.Outputs '{output.Name}' LocalPath", output.LocalPath)));
        }

        for (var i = 0; i < paths.Count; i++)
        {
            for (var j = i + 1; j < paths.Count; j++)
            {
                if (paths[i].Path == paths[j].Path)
                {
                    throw KilnException.InvalidParameter($"{paths[j].Place} '{paths[j].Path}' is the same folder as {paths[i].Place}; each input and output needs its own local path.");
                }
            }
        }
    }

    private static void CheckUri(string place, string uri)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal) && !uri.StartsWith("file://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"{place} '{uri}' must be an s3:// or file:// URI.");
        }
    }

    /// <summary>A local path must be absolute, under /opt/ml/processing, and may not climb out of it.</summary>
    private static string CheckLocalPath(string place, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!path.StartsWith(ContainerRoot + "/", StringComparison.Ordinal) || segments.Any(segment => segment is "." or ".."))
        {
            throw KilnException.InvalidParameter($"{place} '{path}' must be a folder under {ContainerRoot}/ (without '.' or '..' segments).");
        }

        return "/" + string.Join('/', segments);
    }
}
