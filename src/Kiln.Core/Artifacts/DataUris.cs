using Kiln.Core.Common;

namespace Kiln.Core.Artifacts;

/// <summary>
/// Moves job data between URIs and local folders: <c>s3://bucket/prefix</c> (objects Kiln serves through
/// its S3-compatible endpoint, kept in the artifact store), <c>mlflow-artifacts:/…</c>, and <c>file:///path</c>
/// (a folder or file on this machine).
/// </summary>
public sealed class DataUris(IArtifactStore artifacts)
{
    /// <summary>Where an <c>s3://bucket/key</c> object lives in the artifact store.</summary>
    public static string StorePathOfS3(string bucket, string key) => ArtifactPath.Combine("s3", ArtifactPath.Normalize(bucket), ArtifactPath.Normalize(key));

    /// <summary>The artifact-store path behind an s3:// or mlflow-artifacts: URI, or null for a file:// URI.</summary>
    public static string? StorePath(string uri)
    {
        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = uri["s3://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? StorePathOfS3(rest, "") : StorePathOfS3(rest[..slash], rest[(slash + 1)..]);
        }

        if (uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            var rest = uri["mlflow-artifacts:".Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                var slash = rest.IndexOf('/', 2);
                rest = slash < 0 ? "" : rest[slash..];
            }

            return ArtifactPath.Normalize(rest.TrimStart('/'));
        }

        if (uri.StartsWith("file://", StringComparison.Ordinal))
        {
            return null;
        }

        throw KilnException.InvalidParameter($"Unsupported data URI '{uri}': use s3://, file:// or mlflow-artifacts:.");
    }

    /// <summary>Copies the object at <paramref name="uri"/>, or every object under it as a prefix, into <paramref name="directory"/>. Returns the number of files.</summary>
    public async Task<int> DownloadAsync(string uri, string directory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        if (StorePath(uri) is not { } path)
        {
            return CopyLocal(LocalPath(uri), directory);
        }

        if (await artifacts.StatAsync(path, ct).ConfigureAwait(false) is { IsDirectory: false })
        {
            await CopyObjectAsync(path, Path.Combine(directory, Path.GetFileName(path)), ct).ConfigureAwait(false);
            return 1;
        }

        var count = 0;
        var pending = new Stack<string>([path]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in await artifacts.ListAsync(folder, ct).ConfigureAwait(false) ?? [])
            {
                if (entry.IsDirectory)
                {
                    pending.Push(entry.Path);
                }
                else
                {
                    var relative = path.Length == 0 ? entry.Path : entry.Path[(path.Length + 1)..];
                    await CopyObjectAsync(entry.Path, Path.Combine(directory, relative), ct).ConfigureAwait(false);
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Stores a local file at <paramref name="uri"/> (an object key, or a file path for file://).</summary>
    public async Task UploadAsync(string localFile, string uri, CancellationToken ct = default)
    {
        if (StorePath(uri) is { } path)
        {
            await using var source = File.OpenRead(localFile);
            await artifacts.WriteAsync(path, source, ct).ConfigureAwait(false);
            return;
        }

        var target = LocalPath(uri);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(localFile, target, overwrite: true);
    }

    public static string LocalPath(string fileUri) => Uri.UnescapeDataString(new Uri(fileUri).LocalPath);

    private async Task CopyObjectAsync(string path, string target, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using var source = await artifacts.OpenReadAsync(path, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"No object at {path}");
        await using var file = File.Create(target);
        await source.CopyToAsync(file, ct).ConfigureAwait(false);
    }

    private static int CopyLocal(string source, string directory)
    {
        if (File.Exists(source))
        {
            File.Copy(source, Path.Combine(directory, Path.GetFileName(source)), overwrite: true);
            return 1;
        }

        if (!Directory.Exists(source))
        {
            throw KilnException.NotFound($"No file or folder at {source}");
        }

        var count = 0;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            count++;
        }

        return count;
    }
}
