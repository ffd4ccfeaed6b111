using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;

namespace Kiln.FeatureStore.Offline;

/// <summary>Where the embedded query engine keeps local copies of offline store files.</summary>
public sealed record OfflineStoreCache(string Directory);

/// <summary>
/// Local copies of a group's offline store files, for DuckDB to read. The object store may be local files or S3 (whose
/// bytes DuckDB cannot reach without its httpfs extension, which would be downloaded at run time), so Kiln copies the
/// group's Parquet objects into <see cref="OfflineStoreCache"/> through <see cref="ObjectStore"/>: a file is copied once
/// (an object is never rewritten with other rows: each flush writes a new object, and a compacted file's name is a
/// digest of what it holds). Each partition is resolved as <see cref="OfflineStoreFiles.Resolve"/> says, so a file
/// that compaction replaced is not read beside its replacement; an object deleted between the listing and the copy
/// (compaction removing what it replaced) makes the sync list again. The files a sync returns stay on disk until its
/// <see cref="OfflineSnapshot"/> is disposed; copies no sync wants any more are removed after that.
/// </summary>
public sealed class OfflineStoreMirror(ObjectStore objects, IOfflineStoreWriter writer, OfflineStoreCache cache)
{
    /// <summary>How many times a sync lists again when objects vanish under it or a partition is mid-compaction.</summary>
    public const int Attempts = 20;

    private readonly Dictionary<string, int> _leases = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, long Size), IReadOnlySet<string>> _leaves = new();

    private long _relists;

    public string Root { get; } = Path.GetFullPath(cache.Directory);

    /// <summary>How often a sync listed again because an object vanished under it or a partition was settling (diagnostics).</summary>
    public long Relists => Interlocked.Read(ref _relists);

    /// <summary>
    /// Flushes buffered rows, then brings the group's local copy up to date: the Parquet files that hold each row of
    /// its offline store once, and their total size. Dispose the snapshot when done reading them.
    /// </summary>
    public async Task<OfflineSnapshot> SyncAsync(FeatureGroup group, CancellationToken ct)
    {
        await writer.FlushAsync(ct).ConfigureAwait(false);
        var (bucket, prefix) = S3Uris.Split(group.OfflineStore!.ResolvedOutputS3Uri);
        var folder = Path.Combine(Root, bucket, prefix.Replace('/', Path.DirectorySeparatorChar));
        for (var attempt = 1; ; attempt++)
        {
            var leased = new HashSet<string>(StringComparer.Ordinal);
            var done = false;
            try
            {
                var listed = await ListAsync(bucket, prefix, ct).ConfigureAwait(false);
                var resolved = new List<OfflineFile>();
                var complete = true;
                foreach (var partition in listed.GroupBy(info => OfflineStoreFiles.FolderOf(info.Key), StringComparer.Ordinal))
                {
                    var files = new List<OfflineFile>();
                    foreach (var info in partition)
                    {
                        var leaves = OfflineStoreFiles.IsCompacted(info.Key)
                            ? await CompactedLeavesAsync(bucket, info, leased, ct).ConfigureAwait(false)
                            : null;
                        files.Add(new OfflineFile(info.Key, info.Size, leaves ?? new HashSet<string>(StringComparer.Ordinal)));
                    }

                    var view = OfflineStoreFiles.Resolve(files);
                    complete &= view.Complete;
                    resolved.AddRange(view.Visible);
                }

                if (!complete && attempt < Attempts)
                {
                    // Two compactions raced and are settling: list again in a moment.
                    Interlocked.Increment(ref _relists);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), ct).ConfigureAwait(false);
                    continue;
                }

                var paths = new List<string>();
                long bytes = 0;
                foreach (var file in resolved)
                {
                    paths.Add(await CopyAsync(bucket, file.Key, file.Size, leased, ct).ConfigureAwait(false));
                    bytes += file.Size;
                }

                var wanted = paths.ToHashSet(StringComparer.Ordinal);
                Release(leased.Where(path => !wanted.Contains(path)));
                RemoveStale(folder, wanted);
                done = true;
                return new OfflineSnapshot(paths, bytes, () => Release(wanted));
            }
            catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchKey && attempt < Attempts)
            {
                // Compaction deleted a file it replaced after we listed it: the listing now shows the replacement.
                Interlocked.Increment(ref _relists);
            }
            catch (FileNotFoundException) when (attempt < Attempts)
            {
                Interlocked.Increment(ref _relists);
            }
            finally
            {
                if (!done)
                {
                    Release(leased);
                }
            }
        }
    }

    private async Task<List<ObjectInfo>> ListAsync(string bucket, string prefix, CancellationToken ct)
    {
        var listed = new List<ObjectInfo>();
        var after = "";
        while (true)
        {
            ObjectListing page;
            try
            {
                page = await objects.ListAsync(bucket, prefix + "/", null, after, 1000, ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchBucket)
            {
                return listed;
            }

            listed.AddRange(page.Objects.Where(info => info.Key.EndsWith(".parquet", StringComparison.Ordinal)));
            if (!page.IsTruncated || page.Objects.Count == 0)
            {
                return listed;
            }

            after = page.NextMarker ?? page.Objects[^1].Key;
        }
    }

    private async Task<IReadOnlySet<string>> CompactedLeavesAsync(string bucket, ObjectInfo info, HashSet<string> leased, CancellationToken ct)
    {
        var local = await CopyAsync(bucket, info.Key, info.Size, leased, ct).ConfigureAwait(false);
        if (_leaves.TryGetValue((local, info.Size), out var known))
        {
            return known;
        }

        await using var file = File.OpenRead(local);
        var leaves = await OfflineStoreFiles.ReadLeavesAsync(file, ct).ConfigureAwait(false);
        _leaves[(local, info.Size)] = leaves;
        return leaves;
    }

    /// <summary>Leases the local copy of an object (so no other sync removes it), copying it first when it is not there yet.</summary>
    private async Task<string> CopyAsync(string bucket, string key, long size, HashSet<string> leased, CancellationToken ct)
    {
        var local = Path.Combine(Root, bucket, key.Replace('/', Path.DirectorySeparatorChar));
        if (leased.Add(local))
        {
            Acquire(local);
        }

        if (File.Exists(local) && new FileInfo(local).Length == size)
        {
            return local;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        var partial = local + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            var (_, content) = await objects.GetAsync(bucket, key, ct).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                await using var file = File.Create(partial);
                await content.CopyToAsync(file, ct).ConfigureAwait(false);
            }

            File.Move(partial, local, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }

        return local;
    }

    private void Acquire(string path)
    {
        lock (_leases)
        {
            _leases[path] = _leases.GetValueOrDefault(path) + 1;
        }
    }

    private void Release(IEnumerable<string> paths)
    {
        lock (_leases)
        {
            foreach (var path in paths)
            {
                if (_leases.TryGetValue(path, out var count))
                {
                    if (count <= 1)
                    {
                        _leases.Remove(path);
                    }
                    else
                    {
                        _leases[path] = count - 1;
                    }
                }
            }
        }
    }

    /// <summary>Removes the copies of the group's files that this sync does not want and no reader holds.</summary>
    private void RemoveStale(string folder, HashSet<string> wanted)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        lock (_leases)
        {
            foreach (var stale in Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories).Where(path => !wanted.Contains(path) && !_leases.ContainsKey(path)).ToList())
            {
                File.Delete(stale);
                foreach (var cached in _leaves.Keys.Where(cached => cached.Path == stale).ToList())
                {
                    _leaves.TryRemove(cached, out _);
                }
            }
        }
    }
}

/// <summary>
/// The local Parquet files that hold a group's offline store rows, each row once, at one moment; they stay on disk
/// until this is disposed.
/// </summary>
public sealed class OfflineSnapshot(IReadOnlyList<string> files, long bytes, Action release) : IDisposable
{
    private int _disposed;

    public IReadOnlyList<string> Files { get; } = files;

    public long Bytes { get; } = bytes;

    public void Deconstruct(out IReadOnlyList<string> files, out long bytes)
    {
        files = Files;
        bytes = Bytes;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            release();
        }
    }
}

internal static class S3Uris
{
    /// <summary>s3://bucket/some/prefix/ → (bucket, "some/prefix").</summary>
    public static (string Bucket, string Prefix) Split(string uri)
    {
        var path = uri.StartsWith("s3://", StringComparison.Ordinal) ? uri["s3://".Length..] : uri;
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (path, "") : (path[..slash], path[(slash + 1)..].TrimEnd('/'));
    }
}
