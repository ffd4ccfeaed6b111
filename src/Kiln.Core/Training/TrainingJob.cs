using Kiln.Core.Jobs;
using Kiln.Core.Tracking;

namespace Kiln.Core.Training;

public enum TrainingJobStatus
{
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>SageMaker's secondary statuses, the finer steps of a training job.</summary>
public static class SecondaryStatus
{
    public const string Starting = "Starting";
    public const string Pending = "Pending";
    public const string Downloading = "Downloading";
    public const string Training = "Training";
    public const string Uploading = "Uploading";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Stopping = "Stopping";
    public const string Stopped = "Stopped";
    public const string MaxRuntimeExceeded = "MaxRuntimeExceeded";
    public const string Restarting = "Restarting";
    public const string Interrupted = "Interrupted";
}

/// <summary>What the user asked for: everything CreateTrainingJob carries that Kiln acts on or shows back.</summary>
public sealed record TrainingJobSpec
{
    public required string Name { get; init; }

    /// <summary>The algorithm: an ECR-style image URI naming a built-in, or Kiln's script image.</summary>
    public string? TrainingImage { get; init; }

    public string? AlgorithmName { get; init; }

    public string TrainingInputMode { get; init; } = "File";

    public IReadOnlyList<string> ContainerEntrypoint { get; init; } = [];

    public IReadOnlyList<string> ContainerArguments { get; init; } = [];

    public IReadOnlyList<MetricDefinition> MetricDefinitions { get; init; } = [];

    public IReadOnlyDictionary<string, string> HyperParameters { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<InputChannel> Channels { get; init; } = [];

    /// <summary>Where outputs go: <c>{OutputPath}/{Name}/output/model.tar.gz</c>.</summary>
    public required string OutputPath { get; init; }

    public string? RoleArn { get; init; }

    public string InstanceType { get; init; } = "ml.m5.large";

    public int InstanceCount { get; init; } = 1;

    public int VolumeSizeInGb { get; init; } = 30;

    public int MaxRuntimeInSeconds { get; init; } = 86_400;

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string? ExperimentName { get; init; }

    public string? TrialName { get; init; }

    public string? RunName { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public bool EnableNetworkIsolation { get; init; }

    /// <summary>
    /// Request members Kiln keeps and echoes but does not act on (Debugger, Profiler, TensorBoard, checkpoints,
    /// spot, retries …): the member's name and its value as the JSON the caller sent.
    /// </summary>
    public IReadOnlyDictionary<string, string> StoredSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>What the job asked for that Kiln does not do, said at its Starting transition.</summary>
    public IReadOnlyList<string> NotActedOn { get; init; } = [];

    /// <summary>Who asked (the caller's access key id for SageMaker calls).</summary>
    public string CreatedBy { get; init; } = "";

    /// <summary>The hyperparameter tuning job this job is a trial of, if any.</summary>
    public string? TuningJobName { get; init; }

    /// <summary>The tuning job's training job definition this trial follows (when it has several).</summary>
    public string? TuningDefinitionName { get; init; }

    /// <summary>Extra tags for the tracked run (a trial's parent run, for one).</summary>
    public IReadOnlyDictionary<string, string> RunTags { get; init; } = new Dictionary<string, string>();
}

/// <summary>An input channel: a name, where its data is (<c>s3://</c> or <c>file://</c>), and how to read it.</summary>
public sealed record InputChannel(
    string Name,
    string Uri,
    string? ContentType = null,
    string CompressionType = "None",
    string DataType = "S3Prefix",
    string? InputMode = null);

public sealed record MetricDefinition(string Name, string Regex);

public sealed record StatusTransition(string Status, DateTimeOffset StartTime, DateTimeOffset? EndTime, string? Message);

public sealed record FinalMetric(string Name, double Value, DateTimeOffset Timestamp);

/// <summary>A training job: its spec and where it has got to.</summary>
public sealed record TrainingJob : IJobRecord<TrainingJob>
{
    public TrainingJob WithAttempt(int attempt) => this with { Attempt = attempt };

    public TrainingJob WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

    public required TrainingJobSpec Spec { get; init; }

    public TrainingJobStatus Status { get; init; } = TrainingJobStatus.InProgress;

    public string SecondaryStatus { get; init; } = Training.SecondaryStatus.Starting;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public DateTimeOffset? TrainingStartTime { get; init; }

    public DateTimeOffset? TrainingEndTime { get; init; }

    public IReadOnlyList<StatusTransition> Transitions { get; init; } = [];

    public IReadOnlyList<FinalMetric> FinalMetrics { get; init; } = [];

    /// <summary>The <c>model.tar.gz</c> URI once uploaded.</summary>
    public string? ModelArtifacts { get; init; }

    /// <summary>The tracked run mirroring this job (params, metric history, model artifact).</summary>
    public string? RunId { get; init; }

    /// <summary>How many times a node has started running the job; an attempt only writes while it is the latest.</summary>
    public int Attempt { get; init; }

    public bool StopRequested { get; init; }

    public string Name => Spec.Name;

    public bool IsFinished => Status is TrainingJobStatus.Completed or TrainingJobStatus.Failed or TrainingJobStatus.Stopped;

    public int? TrainingTimeInSeconds => TrainingStartTime is { } start && TrainingEndTime is { } end
        ? Math.Max(1, (int)Math.Ceiling((end - start).TotalSeconds))
        : null;

    /// <summary>Moves the secondary status on: closes the current transition and opens a new one.</summary>
    public TrainingJob WithSecondaryStatus(string status, string message, DateTimeOffset now)
    {
        var transitions = Transitions.ToList();
        if (transitions.Count > 0 && transitions[^1].EndTime is null)
        {
            transitions[^1] = transitions[^1] with { EndTime = now };
        }

        transitions.Add(new StatusTransition(status, now, null, message));
        return this with { SecondaryStatus = status, Transitions = transitions, LastModifiedTime = now };
    }

    /// <summary>Ends the job: the last transition closes at <paramref name="now"/>.</summary>
    public TrainingJob Ended(TrainingJobStatus status, string secondaryStatus, string message, DateTimeOffset now, string? failureReason = null)
    {
        var ended = WithSecondaryStatus(secondaryStatus, message, now);
        var transitions = ended.Transitions.ToList();
        transitions[^1] = transitions[^1] with { EndTime = now };
        return ended with
        {
            Status = status,
            FailureReason = failureReason,
            Transitions = transitions,
            TrainingEndTime = ended.TrainingEndTime ?? now,
        };
    }
}
