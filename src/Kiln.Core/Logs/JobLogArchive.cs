using Kiln.Core.Artifacts;

namespace Kiln.Core.Logs;

/// <summary>
/// Cluster mode: a job's logs are written on the node that runs it, so while it runs and when it ends they are
/// copied into the shared artifact store under <c>_kiln/job-logs/{kind}/{job}/</c>, where any other node reads them.
/// </summary>
public sealed class JobLogArchive(IArtifactStore artifacts)
{
    public static string Folder(JobLogKind kind, string job) => ArtifactPath.Combine("_kiln", "job-logs", kind.ToString(), job);

    /// <summary>
    /// Copies each of <paramref name="files"/> whose length changed since the copy recorded in <paramref name="copied"/>
    /// (file → length), and records the new lengths. Files that do not exist (yet) are skipped.
    /// </summary>
    public async Task SaveAsync(JobLogKind kind, string job, IEnumerable<string> files, IDictionary<string, long> copied, CancellationToken ct = default)
    {
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            if (!info.Exists || (copied.TryGetValue(file, out var length) && length == info.Length))
            {
                continue;
            }

            // What is read is at least info.Length bytes: a log only grows while its job runs.
            await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            await artifacts.WriteAsync(ArtifactPath.Combine(Folder(kind, job), info.Name), content, ct).ConfigureAwait(false);
            copied[file] = info.Length;
        }
    }

    /// <summary>
    /// Brings the job's archived logs into <paramref name="folder"/>, fetching only files whose size differs from the
    /// copy already there. False when nothing is archived for the job.
    /// </summary>
    public async Task<bool> RestoreAsync(JobLogKind kind, string job, string folder, CancellationToken ct = default)
    {
        var entries = await artifacts.ListAsync(Folder(kind, job), ct).ConfigureAwait(false);
        if (entries is null || entries.Count == 0)
        {
            return false;
        }

        Directory.CreateDirectory(folder);
        foreach (var entry in entries.Where(entry => !entry.IsDirectory))
        {
            var local = Path.Combine(folder, Path.GetFileName(entry.Path));
            if (File.Exists(local) && new FileInfo(local).Length == entry.Size)
            {
                continue;
            }

            var source = await artifacts.OpenReadAsync(entry.Path, ct).ConfigureAwait(false);
            if (source is null)
            {
                continue;
            }

            // Written beside and moved in, so a reader never sees half a file.
            var part = $"{local}.{Guid.NewGuid():N}.part";
            await using (source.ConfigureAwait(false))
            {
                await using var target = File.Create(part);
                await source.CopyToAsync(target, ct).ConfigureAwait(false);
            }

            File.Move(part, local, overwrite: true);
        }

        return true;
    }
}
