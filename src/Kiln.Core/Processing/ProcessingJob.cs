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

public sealed record ProcessingJob : IJobRecord<ProcessingJob>
{
    public ProcessingJob WithAttempt(int attempt) => this with { Attempt = attempt };

    public ProcessingJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

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
