using Kiln.Core.Logs;

namespace Kiln.Studio.Data;

/// <summary>The three kinds of job the Jobs area shows, as they appear in URLs (<c>/jobs/{slug}/{name}</c>).</summary>
public static class JobKinds
{
    public const string Training = "training";
    public const string Processing = "processing";
    public const string Transform = "transform";

    public static readonly IReadOnlyList<string> All = [Training, Processing, Transform];

    public static string Title(string kind) => kind switch
    {
        Training => "Training job",
        Processing => "Processing job",
        Transform => "Transform job",
        _ => kind,
    };

    public static JobLogKind? LogKind(string kind) => kind switch
    {
        Training => JobLogKind.TrainingJob,
        Processing => JobLogKind.ProcessingJob,
        Transform => JobLogKind.TransformJob,
        _ => null,
    };

    public static string Link(string kind, string name) => $"/jobs/{kind}/{Uri.EscapeDataString(name)}";
}

/// <summary>A row of the jobs list: any kind of job, with what the list filters and sorts on.</summary>
public sealed record JobSummary(string Kind, string Name, string Status, DateTimeOffset CreationTime, DateTimeOffset? EndTime)
{
    public string Link => JobKinds.Link(Kind, Name);
}

/// <summary>One step of a job's status timeline (a training job's secondary status transitions; the start and end of the others).</summary>
public sealed record TimelineStep(string Status, DateTimeOffset Start, DateTimeOffset? End, string? Message);

/// <summary>A data location a job read or wrote, for the inputs and outputs tables.</summary>
public sealed record JobLocation(string Name, string Uri, string Detail);

/// <summary>A job page's content, the same shape for every kind: the page renders it without knowing the kind.</summary>
public sealed record JobView
{
    public required string Kind { get; init; }

    public required string Name { get; init; }

    public required string Status { get; init; }

    public string? SecondaryStatus { get; init; }

    public string? FailureReason { get; init; }

    public required bool IsFinished { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public IReadOnlyList<(string Key, string Value)> Facts { get; init; } = [];

    public IReadOnlyList<TimelineStep> Timeline { get; init; } = [];

    public IReadOnlyList<JobLocation> Inputs { get; init; } = [];

    public IReadOnlyList<JobLocation> Outputs { get; init; } = [];

    public IReadOnlyList<(string Key, string Value)> Settings { get; init; } = [];

    /// <summary>Final metrics (training jobs): name and value.</summary>
    public IReadOnlyList<(string Name, double Value)> FinalMetrics { get; init; } = [];

    /// <summary>The tracked run that keeps the job's metric history (training jobs), if any.</summary>
    public string? RunId { get; init; }

    public string? TuningJobName { get; init; }

    /// <summary>The fingerprint the live stream compares: status, timeline length and how much log there is.</summary>
    public string Fingerprint(long logLength) => $"{Status}:{SecondaryStatus}:{Timeline.Count}:{EndTime}:{FinalMetrics.Count}:{logLength}";
}
