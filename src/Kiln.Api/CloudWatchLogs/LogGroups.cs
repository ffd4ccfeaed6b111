using System.Text.RegularExpressions;
using Kiln.Core.Logs;

namespace Kiln.Api.CloudWatchLogs;

/// <summary>One job's log as a log stream: its SageMaker-style name and its events.</summary>
internal sealed record LogStreamEvents(string Name, IReadOnlyList<JobLogLine> Events);

/// <summary>
/// SageMaker's log groups over the logs Kiln keeps: one stream per job, named as SageMaker names the
/// first instance's stream, <c>{job}/algo-1-{epoch seconds of its first line}</c>. A stream exists once
/// its job has logged a line, as in CloudWatch.
/// </summary>
internal sealed partial class LogGroups(IJobLogFiles files)
{
    public static readonly IReadOnlyDictionary<string, JobLogKind> Names = new Dictionary<string, JobLogKind>(StringComparer.Ordinal)
    {
        ["/aws/sagemaker/TrainingJobs"] = JobLogKind.TrainingJob,
        ["/aws/sagemaker/ProcessingJobs"] = JobLogKind.ProcessingJob,
        ["/aws/sagemaker/TransformJobs"] = JobLogKind.TransformJob,
    };

    /// <summary>The group a request names, by name or by identifier (a name or an ARN); exactly one of them.</summary>
    public static string Resolve(string? name, string? identifier)
    {
        if ((name is null) == (identifier is null))
        {
            throw LogsException.Invalid("Exactly one of logGroupName and logGroupIdentifier must be specified.");
        }

        var group = name ?? identifier!;
        if (identifier is not null && identifier.StartsWith("arn:", StringComparison.Ordinal))
        {
            var marker = identifier.IndexOf(":log-group:", StringComparison.Ordinal);
            group = marker < 0 ? "" : identifier[(marker + ":log-group:".Length)..];
            group = group.EndsWith(":*", StringComparison.Ordinal) ? group[..^2] : group;
        }

        return group;
    }

    public static JobLogKind Kind(string group) =>
        Names.TryGetValue(group, out var kind) ? kind : throw LogsException.GroupNotFound();

    /// <summary>The group's streams whose names start with the prefix, in name order.</summary>
    public IReadOnlyList<LogStreamEvents> Streams(JobLogKind kind, string? prefix)
    {
        prefix ??= "";
        var slash = prefix.IndexOf('/', StringComparison.Ordinal);
        // A prefix naming a job ("{job}/") reads that job's log only: what the SDK asks while it waits.
        var jobs = slash >= 0 ? [prefix[..slash]] : files.Jobs(kind).Where(job => job.StartsWith(prefix, StringComparison.Ordinal));
        return jobs
            .Where(IsJobName)
            .Select(job => Read(kind, job))
            .OfType<LogStreamEvents>()
            .Where(stream => stream.Name.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(stream => stream.Name, StringComparer.Ordinal)
            .ToList();
    }

    public LogStreamEvents Stream(JobLogKind kind, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var job = slash < 0 ? "" : name[..slash];
        return IsJobName(job) && Read(kind, job) is { } stream && stream.Name == name ? stream : throw LogsException.StreamNotFound();
    }

    private LogStreamEvents? Read(JobLogKind kind, string job)
    {
        var events = JobLogReader.Read(files.LogFile(kind, job));
        return events.Count == 0 ? null : new LogStreamEvents($"{job}/algo-1-{events[0].Timestamp / 1000}", events);
    }

    // SageMaker's job-name pattern; it also keeps a name from reaching outside the workspace.
    private static bool IsJobName(string job) => JobName().IsMatch(job);

    [GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
    private static partial Regex JobName();
}
