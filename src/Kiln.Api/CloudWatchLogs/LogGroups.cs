using System.Text.RegularExpressions;
using Kiln.Core.Logs;
using Kiln.Core.Serving;
using Kiln.Core.Transform;

namespace Kiln.Api.CloudWatchLogs;

/// <summary>One job's log as a log stream: its SageMaker-style name and its events.</summary>
internal sealed record LogStreamEvents(string Name, IReadOnlyList<JobLogLine> Events);

/// <summary>A log group's streams.</summary>
internal interface ILogGroup
{
    /// <summary>The group's streams whose names start with the prefix, in name order.</summary>
    IReadOnlyList<LogStreamEvents> Streams(string? prefix);

    /// <summary>One stream; ResourceNotFoundException when it does not exist.</summary>
    LogStreamEvents Stream(string name);
}

/// <summary>
/// SageMaker's log groups over the logs Kiln keeps: the job groups (<see cref="JobLogGroup"/>) and one group per
/// endpoint, <c>/aws/sagemaker/Endpoints/{endpoint}</c> (<see cref="EndpointLogGroup"/>). An endpoint's group
/// exists while the endpoint does, and after it is deleted while its logs are kept, as in CloudWatch.
/// </summary>
internal sealed class LogGroups(IJobLogFiles jobs, IEndpointLogFiles endpoints, IServingStore store)
{
    public const string EndpointPrefix = "/aws/sagemaker/Endpoints/";

    public static readonly IReadOnlyDictionary<string, JobLogKind> JobGroups = new Dictionary<string, JobLogKind>(StringComparer.Ordinal)
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

    /// <summary>All the groups' names: the job groups, and every endpoint's that exists or has logs.</summary>
    public async Task<IEnumerable<string>> NamesAsync(CancellationToken ct)
    {
        var live = await store.AllEndpointsAsync(ct).ConfigureAwait(false);
        return JobGroups.Keys
            .Concat(live.Select(endpoint => endpoint.Name).Concat(endpoints.Endpoints()).Select(name => EndpointPrefix + name))
            .Distinct(StringComparer.Ordinal);
    }

    public async Task<ILogGroup> OpenAsync(string group, CancellationToken ct)
    {
        if (JobGroups.TryGetValue(group, out var kind))
        {
            return new JobLogGroup(jobs, kind);
        }

        if (group.StartsWith(EndpointPrefix, StringComparison.Ordinal) && group[EndpointPrefix.Length..] is var endpoint && EndpointLogGroup.IsName(endpoint)
            && (endpoints.Streams(endpoint).Any() || await store.FindEndpointAsync(endpoint, ct).ConfigureAwait(false) is not null))
        {
            return new EndpointLogGroup(endpoints, endpoint);
        }

        throw LogsException.GroupNotFound();
    }
}

/// <summary>
/// A job group: one stream per job and host, named as SageMaker names an instance's stream,
/// <c>{job}/algo-N-{epoch seconds of its first line}</c> (algo-2 … only for a distributed training job). A stream
/// exists once its host has logged a line, as in CloudWatch.
/// </summary>
internal sealed partial class JobLogGroup(IJobLogFiles files, JobLogKind kind) : ILogGroup
{
    public IReadOnlyList<LogStreamEvents> Streams(string? prefix)
    {
        prefix ??= "";
        var slash = prefix.IndexOf('/', StringComparison.Ordinal);
        // A prefix naming a job ("{job}/") reads that job's log only: what the SDK asks while it waits.
        var jobs = slash >= 0 ? [prefix[..slash]] : files.Jobs(kind).Where(job => job.StartsWith(prefix, StringComparison.Ordinal));
        return jobs
            .Where(IsJobName)
            .SelectMany(Read)
            .Where(stream => stream.Name.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(stream => stream.Name, StringComparer.Ordinal)
            .ToList();
    }

    public LogStreamEvents Stream(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var job = slash < 0 ? "" : name[..slash];
        return (IsJobName(job) ? Read(job).FirstOrDefault(stream => stream.Name == name) : null) ?? throw LogsException.StreamNotFound();
    }

    private IEnumerable<LogStreamEvents> Read(string job)
    {
        foreach (var (host, file) in files.HostLogFiles(kind, job))
        {
            var events = JobLogReader.Read(file);
            if (events.Count > 0)
            {
                yield return new LogStreamEvents($"{job}/{host}-{events[0].Timestamp / 1000}", events);
            }
        }
    }

    // SageMaker's job-name pattern; it also keeps a name from reaching outside the workspace.
    private static bool IsJobName(string job) => JobName().IsMatch(job);

    [GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
    private static partial Regex JobName();
}

/// <summary>An endpoint's group: one stream per replica it has run, <c>{variant}/{instance id}</c>, once the replica has logged a line.</summary>
internal sealed partial class EndpointLogGroup(IEndpointLogFiles files, string endpoint) : ILogGroup
{
    public IReadOnlyList<LogStreamEvents> Streams(string? prefix) =>
        files.Streams(endpoint)
            .Where(name => name.StartsWith(prefix ?? "", StringComparison.Ordinal))
            .Select(Read)
            .OfType<LogStreamEvents>()
            .OrderBy(stream => stream.Name, StringComparer.Ordinal)
            .ToList();

    public LogStreamEvents Stream(string name) => Read(name) ?? throw LogsException.StreamNotFound();

    public static bool IsName(string name) => EndpointName().IsMatch(name);

    private LogStreamEvents? Read(string name)
    {
        var events = files.StreamFile(endpoint, name) is { } file ? JobLogReader.Read(file) : [];
        return events.Count == 0 ? null : new LogStreamEvents(name, events);
    }

    [GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
    private static partial Regex EndpointName();
}
