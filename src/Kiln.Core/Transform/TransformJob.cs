using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Transform;

public enum TransformJobStatus
{
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>What CreateTransformJob asks for: which model, which data, how to split and batch it, where the results go.</summary>
public sealed record TransformJobSpec
{
    public required string Name { get; init; }

    public required string ModelName { get; init; }

    /// <summary>Mini-batches in flight at once (0: one per core).</summary>
    public int MaxConcurrentTransforms { get; init; }

    /// <summary>The largest mini-batch, in MB (SageMaker's default is 6); 0 means no limit.</summary>
    public int MaxPayloadInMB { get; init; } = 6;

    /// <summary>SingleRecord or MultiRecord (as many records per mini-batch as fit).</summary>
    public string BatchStrategy { get; init; } = "MultiRecord";

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public required string InputUri { get; init; }

    public string InputDataType { get; init; } = "S3Prefix";

    public string? ContentType { get; init; }

    public string CompressionType { get; init; } = "None";

    /// <summary>None (a file is one record) or Line.</summary>
    public string SplitType { get; init; } = "None";

    public required string OutputPath { get; init; }

    public string? Accept { get; init; }

    /// <summary>None (outputs concatenated) or Line (one per line).</summary>
    public string AssembleWith { get; init; } = "None";

    public string InstanceType { get; init; } = "ml.m5.large";

    public int InstanceCount { get; init; } = 1;

    /// <summary>A JSONPath choosing what of each record the model sees (<c>$[1:]</c> drops an id column).</summary>
    public string? InputFilter { get; init; }

    /// <summary>A JSONPath choosing what of each (joined) result is written.</summary>
    public string? OutputFilter { get; init; }

    /// <summary>None, or Input: each result is written joined to its input record.</summary>
    public string JoinSource { get; init; } = "None";

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public string CreatedBy { get; init; } = "anonymous";

    /// <summary>
    /// DataCaptureConfig.DestinationS3Uri: where each input file and its results are copied as the job goes, in
    /// SageMaker's layout (<c>{uri}/input/yyyy/MM/dd/HH/…</c>, <c>{uri}/output/yyyy/MM/dd/HH/…</c>) for Model Monitor's BatchTransformInput.
    /// </summary>
    public string? DataCaptureUri { get; init; }

    /// <summary>
    /// DataCaptureConfig.GenerateInferenceId: the captured output files hold one capture record per input line with an
    /// inference id and time (<c>eventMetadata</c>), so a model quality monitor can join ground truth on them.
    /// </summary>
    public bool DataCaptureGenerateInferenceId { get; init; }
}

/// <summary>How far a transform job has got: files and records done of those found.</summary>
public sealed record TransformProgress(int FilesTotal, int FilesDone, long RecordsTotal, long RecordsDone);

public sealed record TransformJob : IJobRecord<TransformJob>
{
    public TransformJob WithAttempt(int attempt) => this with { Attempt = attempt };

    public TransformJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

    public required TransformJobSpec Spec { get; init; }

    public string Name => Spec.Name;

    public TransformJobStatus Status { get; init; } = TransformJobStatus.InProgress;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? TransformStartTime { get; init; }

    public DateTimeOffset? TransformEndTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public bool StopRequested { get; init; }

    public int Attempt { get; init; }

    public TransformProgress Progress { get; init; } = new(0, 0, 0, 0);

    public bool IsFinished => Status is TransformJobStatus.Completed or TransformJobStatus.Failed or TransformJobStatus.Stopped;
}
