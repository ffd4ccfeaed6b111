using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;

namespace Kiln.FeatureStore.Offline;

/// <summary>Where the embedded query engine keeps local copies of offline store files.</summary>
public sealed record OfflineStoreCache(string Directory);

/// <summary>
/// Local copies of a group's offline store files, for DuckDB to read. The object store may be local files or S3 (whose
/// bytes DuckDB cannot reach without its httpfs extension, which would be downloaded at run time), so Kiln copies the
/// group's Parquet objects into <see cref="OfflineStoreCache"/> through <see cref="ObjectStore"/>: a file is copied once
/// (offline store files are never rewritten: each flush writes a new object), and a copy whose object is gone is removed.
/// </summary>
public sealed class OfflineStoreMirror(ObjectStore objects, IOfflineStoreWriter writer, OfflineStoreCache cache)
{
    public string Root { get; } = Path.GetFullPath(cache.Directory);

    /// <summary>Flushes buffered rows, then brings the group's local copy up to date: its Parquet files and their total size.</summary>
    public async Task<(IReadOnlyList<string> Files, long Bytes)> SyncAsync(FeatureGroup group, CancellationToken ct)
    {
        await writer.FlushAsync(ct).ConfigureAwait(false);
        var (bucket, prefix) = S3Uris.Split(group.OfflineStore!.ResolvedOutputS3Uri);
        var folder = Path.Combine(Root, bucket, prefix.Replace('/', Path.DirectorySeparatorChar));
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        long bytes = 0;
        string after = "";
        while (true)
        {
            ObjectListing page;
            try
            {
                page = await objects.ListAsync(bucket, prefix + "/", null, after, 1000, ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchBucket)
            {
                break;
            }

            foreach (var info in page.Objects.Where(info => info.Key.EndsWith(".parquet", StringComparison.Ordinal)))
            {
                var local = Path.Combine(Root, bucket, info.Key.Replace('/', Path.DirectorySeparatorChar));
                wanted.Add(local);
                files.Add(local);
                bytes += info.Size;
                if (File.Exists(local) && new FileInfo(local).Length == info.Size)
                {
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(local)!);
                var partial = local + "." + Guid.NewGuid().ToString("N") + ".part";
                var (_, content) = await objects.GetAsync(bucket, info.Key, ct).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    await using var file = File.Create(partial);
                    await content.CopyToAsync(file, ct).ConfigureAwait(false);
                }

                File.Move(partial, local, overwrite: true);
            }

            if (!page.IsTruncated || page.Objects.Count == 0)
            {
                break;
            }

            after = page.NextMarker ?? page.Objects[^1].Key;
        }

        if (Directory.Exists(folder))
        {
            foreach (var stale in Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories).Where(path => !wanted.Contains(path)).ToList())
            {
                File.Delete(stale);
            }
        }

        return (files, bytes);
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
