using Kiln.Artifacts.FileSystem;
using Kiln.Core.Logs;

namespace Kiln.Storage.Tests.Artifacts;

/// <summary>A job's logs copied from the node that runs it to the shared store, and read back on another node.</summary>
public sealed class JobLogArchiveTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-job-log-archive", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Logs_copied_as_they_grow_are_restored_elsewhere_with_their_line_times()
    {
        var archive = new JobLogArchive(new FileSystemArtifactStore(Path.Combine(_root, "shared")));
        var node = Path.Combine(_root, "node-a", "job");
        var clock = TimeProvider.System;
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        string[] Files() => [Path.Combine(node, "log.txt"), JobLogReader.TimesFile(Path.Combine(node, "log.txt")), Path.Combine(node, "log-algo-2.txt"), JobLogReader.TimesFile(Path.Combine(node, "log-algo-2.txt"))];

        using (var main = new JobLogWriter(Path.Combine(node, "log.txt"), clock))
        {
            main.WriteLine("algo-1 starts");
            // algo-2 has not logged yet: its files are skipped, not an error.
            await archive.SaveAsync(JobLogKind.TrainingJob, "ddp", Files(), copied);
            var elsewhere = Path.Combine(_root, "node-b", "cache");
            Assert.True(await archive.RestoreAsync(JobLogKind.TrainingJob, "ddp", elsewhere));
            Assert.Equal(["algo-1 starts"], JobLogReader.Read(Path.Combine(elsewhere, "log.txt")).Select(line => line.Message));

            main.WriteLine("algo-1 ends");
            using (var second = new JobLogWriter(Path.Combine(node, "log-algo-2.txt"), clock))
            {
                second.WriteLine("algo-2 joined");
            }

            await archive.SaveAsync(JobLogKind.TrainingJob, "ddp", Files(), copied);
            Assert.True(await archive.RestoreAsync(JobLogKind.TrainingJob, "ddp", elsewhere));
            var restored = JobLogReader.Read(Path.Combine(elsewhere, "log.txt"));
            Assert.Equal(JobLogReader.Read(Path.Combine(node, "log.txt")), restored);
            Assert.Equal(["algo-2 joined"], JobLogReader.Read(Path.Combine(elsewhere, "log-algo-2.txt")).Select(line => line.Message));
            Assert.Empty(Directory.EnumerateFiles(elsewhere, "*.part"));
        }

        // Another job, or one whose logs were never copied, has nothing to restore.
        Assert.False(await archive.RestoreAsync(JobLogKind.TrainingJob, "other", Path.Combine(_root, "node-b", "other")));
        Assert.False(await archive.RestoreAsync(JobLogKind.ProcessingJob, "ddp", Path.Combine(_root, "node-b", "processing")));
    }

    [Fact]
    public async Task An_unchanged_log_is_not_copied_again()
    {
        var shared = Path.Combine(_root, "shared");
        var archive = new JobLogArchive(new FileSystemArtifactStore(shared));
        var log = Path.Combine(_root, "node-a", "job", "job.log");
        using var writer = new JobLogWriter(log, TimeProvider.System);
        writer.WriteLine("one");
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        await archive.SaveAsync(JobLogKind.ProcessingJob, "prep", [log], copied);
        var stored = Directory.EnumerateFiles(shared, "job.log", SearchOption.AllDirectories).Single();
        var firstWrite = File.GetLastWriteTimeUtc(stored);
        File.SetLastWriteTimeUtc(stored, firstWrite.AddHours(-1));

        await archive.SaveAsync(JobLogKind.ProcessingJob, "prep", [log], copied);
        Assert.Equal(firstWrite.AddHours(-1), File.GetLastWriteTimeUtc(stored));

        writer.WriteLine("two");
        await archive.SaveAsync(JobLogKind.ProcessingJob, "prep", [log], copied);
        Assert.Equal(["one", "two"], File.ReadAllLines(stored));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
