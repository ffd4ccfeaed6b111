using Kiln.Core.Artifacts;

namespace Kiln.Artifacts.FileSystem;

/// <summary>Artifacts as plain files under one root folder. Paths reaching here are already normalized.</summary>
public sealed class FileSystemArtifactStore : IArtifactStore
{
    private readonly string _root;

    public FileSystemArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task WriteAsync(string path, Stream content, CancellationToken ct = default)
    {
        var target = Resolve(path);
        if (Directory.Exists(target))
        {
            throw Kiln.Core.Common.KilnException.InvalidParameter($"Invalid path: {path} is a directory");
        }

        for (var parent = Path.GetDirectoryName(target)!; parent != _root; parent = Path.GetDirectoryName(parent)!)
        {
            if (File.Exists(parent))
            {
                throw Kiln.Core.Common.KilnException.InvalidParameter($"Invalid path: {Path.GetRelativePath(_root, parent).Replace('\\', '/')} is a file, not a directory");
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Write beside the target, then rename: a reader or a crash never sees half a file.
        var temporary = $"{target}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, ct).ConfigureAwait(false);
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken ct = default)
    {
        var target = Resolve(path);
        if (Directory.Exists(target))
        {
            return Task.FromResult<Stream?>(null);
        }

        // Opened without asking first whether it exists: a file deleted between the two (a compactor replacing it)
        // is missing, as the contract says, not an error.
        try
        {
            return Task.FromResult<Stream?>(new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<ArtifactEntry?> StatAsync(string path, CancellationToken ct = default)
    {
        var target = Resolve(path);
        path = ArtifactPath.Normalize(path);
        ArtifactEntry? entry = File.Exists(target)
            ? new ArtifactEntry(path, false, new FileInfo(target).Length)
            : Directory.Exists(target) ? new ArtifactEntry(path, true, null) : null;
        return Task.FromResult(entry);
    }

    public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string path, CancellationToken ct = default)
    {
        var target = Resolve(path);
        if (!Directory.Exists(target))
        {
            return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(null);
        }

        path = ArtifactPath.Normalize(path);

        var entries = new DirectoryInfo(target).EnumerateFileSystemInfos()
            .Where(info => !info.Name.EndsWith(".partial", StringComparison.Ordinal))
            .Select(info => info is FileInfo file
                ? new ArtifactEntry(ArtifactPath.Combine(path, file.Name), false, file.Length)
                : new ArtifactEntry(ArtifactPath.Combine(path, info.Name), true, null))
            .OrderBy(entry => entry.Path, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(entries);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken ct = default)
    {
        var target = Resolve(path);
        if (File.Exists(target))
        {
            File.Delete(target);
            return Task.FromResult(true);
        }

        if (Directory.Exists(target) && target != _root)
        {
            Directory.Delete(target, recursive: true);
            return Task.FromResult(true);
        }

        return Task.FromResult(false);
    }

    private string Resolve(string path)
    {
        var normalized = ArtifactPath.Normalize(path);
        var full = Path.GetFullPath(Path.Combine(_root, normalized));
        // Normalize already refuses escapes; this second check keeps a symlink-free guarantee local to the store.
        if (full != _root && !full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw Kiln.Core.Common.KilnException.InvalidParameter($"Invalid path: {path}");
        }

        return full;
    }
}
