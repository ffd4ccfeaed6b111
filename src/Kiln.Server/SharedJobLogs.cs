using Kiln.Core.Jobs;
using Kiln.Core.Logs;
using Kiln.Core.Processing;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Microsoft.Extensions.Logging;

namespace Kiln.Server;

/// <summary>
/// Cluster mode: while a training, processing or transform job runs on this node, its log files (every host's, with
/// their line times) are copied to the shared <see cref="JobLogArchive"/> every few seconds and once more when it ends.
/// </summary>
internal sealed partial class JobLogShipper(JobLogFiles logs, JobLogArchive archive, ILogger<JobLogShipper> logger) : IJobRunCompanion
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    public async Task AccompanyAsync(string kind, string name, Task run, CancellationToken ct)
    {
        if (SharedJobLogFiles.KindOf(kind) is not { } logKind)
        {
            return;
        }

        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            var ended = run.IsCompleted;
            if (!ended)
            {
                await Task.WhenAny(run, Task.Delay(Period, ct)).ConfigureAwait(false);
                ended = run.IsCompleted;
            }

            try
            {
                var files = ((IJobLogFiles)logs).HostLogFiles(logKind, name).SelectMany(host => new[] { host.File, JobLogReader.TimesFile(host.File) });
                await archive.SaveAsync(logKind, name, files, copied, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotCopied(e, kind, name);
            }

            if (ended)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The log of {Kind} job {Name} could not be copied to the shared store; other nodes show it once a later copy succeeds")]
    private partial void LogNotCopied(Exception exception, string kind, string name);
}

/// <summary>
/// Cluster mode: a job's logs as any node serves them. A job that ran here is read from this node's files; one that
/// ran on another node is brought from the <see cref="JobLogArchive"/> into a local cache first (its logs reach the
/// archive within seconds of being written, see <see cref="JobLogShipper"/>).
/// </summary>
internal sealed class SharedJobLogFiles(JobLogFiles local, JobLogArchive archive, string cacheRoot) : IJobLogFiles
{
    public static JobLogKind? KindOf(string jobKind) => jobKind switch
    {
        TrainingJobService.JobKind => JobLogKind.TrainingJob,
        ProcessingJobService.JobKind => JobLogKind.ProcessingJob,
        TransformJobService.JobKind => JobLogKind.TransformJob,
        _ => null,
    };

    public IEnumerable<string> Jobs(JobLogKind kind)
    {
        var cached = Path.Combine(cacheRoot, kind.ToString());
        var elsewhere = Directory.Exists(cached) ? Directory.EnumerateDirectories(cached).Select(Path.GetFileName).OfType<string>() : [];
        return local.Jobs(kind).Union(elsewhere, StringComparer.Ordinal);
    }

    public string LogFile(JobLogKind kind, string job)
    {
        var here = local.LogFile(kind, job);
        if (File.Exists(here) || job.Length == 0 || job.Contains('/', StringComparison.Ordinal) || job.Contains('\\', StringComparison.Ordinal) || job.Contains("..", StringComparison.Ordinal))
        {
            return here;
        }

        var folder = Path.Combine(cacheRoot, kind.ToString(), job);
        // The log readers are synchronous; a log is small and the archive answers in milliseconds.
        archive.RestoreAsync(kind, job, folder).GetAwaiter().GetResult();
        return Path.Combine(folder, Path.GetFileName(here));
    }
}
