using System.Globalization;
using System.Text;
using Kiln.Core.Transform;

namespace Kiln.Core.Logs;

/// <summary>One line of a job's log and when it was written (milliseconds since the epoch).</summary>
public readonly record struct JobLogLine(long Timestamp, string Message);

/// <summary>The kinds of job whose logs Kiln keeps.</summary>
public enum JobLogKind
{
    TrainingJob,
    ProcessingJob,
    TransformJob,
}

/// <summary>Where the jobs' logs are on this node.</summary>
public interface IJobLogFiles
{
    /// <summary>The jobs of this kind that have a log file.</summary>
    IEnumerable<string> Jobs(JobLogKind kind);

    string LogFile(JobLogKind kind, string job);

    /// <summary>
    /// The job's log of each host, algo-1 first (its log is <see cref="LogFile"/>). A distributed training job's other
    /// hosts have theirs beside it, <c>log-algo-N.txt</c>, on the node that ran the job.
    /// </summary>
    IReadOnlyList<(string Host, string File)> HostLogFiles(JobLogKind kind, string job)
    {
        var main = LogFile(kind, job);
        IEnumerable<(string Host, string File)> others = Path.GetDirectoryName(main) is { } folder && Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "log-algo-*.txt")
                .Select(file => (Host: Path.GetFileNameWithoutExtension(file)["log-".Length..], File: file))
                .Where(host => int.TryParse(host.Host["algo-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > 1)
                .OrderBy(host => int.Parse(host.Host["algo-".Length..], CultureInfo.InvariantCulture))
            : [];
        return [("algo-1", main), .. others];
    }
}

/// <summary>
/// Appends lines to a job's text log (what <c>kiln jobs logs</c> shows) and, beside it in <c>{log}.times</c>,
/// when each line was written, one epoch-milliseconds number a line, so the log can also be served as
/// timestamped events (CloudWatch Logs) without changing the text log's format.
/// </summary>
public sealed class JobLogWriter : IDisposable
{
    private readonly StreamWriter _log;
    private readonly StreamWriter _times;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();

    public JobLogWriter(string path, TimeProvider clock)
    {
        _clock = clock;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _log = Open(path);
        _times = Open(JobLogReader.TimesFile(path));
    }

    public void WriteLine(string line) => WriteLine(line, _clock.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Appends a line written at <paramref name="timestamp"/> (epoch milliseconds): for lines queued before they reach the file.</summary>
    public void WriteLine(string line, long timestamp)
    {
        lock (_gate)
        {
            foreach (var piece in line.Split('\n'))
            {
                // The time goes first: a reader pairs only the lines that have one.
                _times.WriteLine(timestamp.ToString(CultureInfo.InvariantCulture));
                _log.WriteLine(piece.TrimEnd('\r'));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _log.Dispose();
            _times.Dispose();
        }
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true, NewLine = "\n" };
}

/// <summary>Reads a log written by <see cref="JobLogWriter"/> as timestamped lines (whole lines only).</summary>
public static class JobLogReader
{
    public static string TimesFile(string logFile) => logFile + ".times";

    /// <summary>The log's complete lines, oldest first; empty when there is no log. A log without times (written before they were kept) takes the file's write time.</summary>
    public static IReadOnlyList<JobLogLine> Read(string logFile)
    {
        if (!File.Exists(logFile))
        {
            return [];
        }

        var lines = CompleteLines(logFile);
        var times = File.Exists(TimesFile(logFile)) ? CompleteLines(TimesFile(logFile)) : [];
        var fallback = new DateTimeOffset(File.GetLastWriteTimeUtc(logFile)).ToUnixTimeMilliseconds();
        var result = new List<JobLogLine>(lines.Count);
        var last = long.MinValue;
        for (var i = 0; i < lines.Count; i++)
        {
            var time = i < times.Count && long.TryParse(times[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : fallback;
            if (i < times.Count || times.Count == 0)
            {
                // Times never go back, so a time range is a contiguous run of lines.
                last = Math.Max(last, time);
                result.Add(new JobLogLine(last, lines[i]));
            }
        }

        return result;
    }

    private static List<string> CompleteLines(string path)
    {
        byte[] bytes;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[file.Length];
            bytes = bytes[..file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false)];
        }

        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var text = Encoding.UTF8.GetString(bytes, 0, end);
        var lines = text.Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        return lines.Select(line => line.TrimEnd('\r')).ToList();
    }
}
