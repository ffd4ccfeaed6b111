using System.Diagnostics;
using Kiln.Core.Common;
using Kiln.Core.Objects;
using Polly;
using Polly.Retry;

namespace Kiln.Core.Artifacts;

/// <summary>
/// Moves job data between URIs and local folders: <c>s3://bucket/prefix</c> (objects in Kiln's
/// S3-compatible object store), <c>mlflow-artifacts:/…</c> (a run's artifacts), and <c>file:///path</c>
/// (a folder or file on this machine, only under the allowed <see cref="FileRoots"/>).
/// </summary>
public sealed class DataUris(IArtifactStore artifacts, ObjectStore objects, FileRoots? fileRoots = null)
{
    private readonly FileRoots _fileRoots = fileRoots ?? FileRoots.AllowAll;

    /// <summary>Bucket and key of an <c>s3://bucket/key</c> URI (the key may be a prefix, or empty).</summary>
    public static (string Bucket, string Key) S3Location(string uri)
    {
        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
    }

    /// <summary>The artifact-store path behind an mlflow-artifacts: URI, or null for file:// and s3:// URIs.</summary>
    public static string? StorePath(string uri)
    {
        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            return null;
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
        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            return await DownloadObjectsAsync(uri, directory, ct).ConfigureAwait(false);
        }

        if (StorePath(uri) is not { } path)
        {
            return CopyLocal(uri, directory);
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

    /// <summary>True when the URI names an object, or a prefix with objects under it (a file or a non-empty folder for file://).</summary>
    public async Task<bool> ExistsAsync(string uri, CancellationToken ct = default)
    {
        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            var (bucket, key) = S3Location(uri);
            try
            {
                if (key.Length > 0 && !key.EndsWith('/'))
                {
                    try
                    {
                        await objects.HeadAsync(bucket, key, ct).ConfigureAwait(false);
                        return true;
                    }
                    catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchKey)
                    {
                    }
                }

                var listing = await objects.ListAsync(bucket, key, null, "", 1, ct).ConfigureAwait(false);
                return listing.Objects.Count > 0;
            }
            catch (ObjectStoreException)
            {
                return false;
            }
        }

        if (StorePath(uri) is { } path)
        {
            return await artifacts.StatAsync(path, ct).ConfigureAwait(false) is not null;
        }

        var local = _fileRoots.LocalPath(uri);
        return File.Exists(local) || (Directory.Exists(local) && Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories).Any());
    }

    /// <summary>
    /// Stores a local file at <paramref name="uri"/> (an object key, or a file path for file://). Only jobs store their
    /// outputs this way, so a store that is unavailable for a while is waited out: the upload is retried with
    /// exponential backoff (about half a minute in all, on top of the S3 client's own quick retries), then the job
    /// fails with <see cref="JobOutputsException"/> rather than reporting success without its outputs.
    /// </summary>
    public async Task UploadAsync(string localFile, string uri, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        try
        {
            await OutputRetry.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    await UploadOnceAsync(localFile, uri, token).ConfigureAwait(false);
                },
                ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsStoreFailure(e) && !ct.IsCancellationRequested)
        {
            throw new JobOutputsException(uri, attempts, Stopwatch.GetElapsedTime(started), e);
        }
    }

    /// <summary>How job outputs wait out a store outage: 5 retries, 1, 2, 4, 8 and 16 s apart (with jitter).</summary>
    private static readonly ResiliencePipeline OutputRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsStoreFailure),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
        })
        .Build();

    /// <summary>
    /// A failure of the store rather than of the request: the stores' transport errors (the S3 client's own exception
    /// types are not known here) and <see cref="ErrorCode.ServiceUnavailable"/>; not a bad key, a missing local file or a cancellation.
    /// </summary>
    private static bool IsStoreFailure(Exception error) => error switch
    {
        KilnException kiln => kiln.Code == ErrorCode.ServiceUnavailable,
        ObjectStoreException or OperationCanceledException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => false,
        ArgumentException or InvalidOperationException => false,
        _ => true,
    };

    private async Task UploadOnceAsync(string localFile, string uri, CancellationToken ct)
    {
        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            var (bucket, key) = S3Location(uri);
            await objects.EnsureBucketAsync(bucket, ct).ConfigureAwait(false);
            await using var content = File.OpenRead(localFile);
            await objects.PutAsync(bucket, key, content, key.EndsWith(".tar.gz", StringComparison.Ordinal) ? "application/x-tar" : null, null, null, ct).ConfigureAwait(false);
            return;
        }

        if (StorePath(uri) is { } path)
        {
            await using var source = File.OpenRead(localFile);
            await artifacts.WriteAsync(path, source, ct).ConfigureAwait(false);
            return;
        }

        var target = _fileRoots.LocalPath(uri);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(localFile, target, overwrite: true);
    }

    /// <summary>Stores text (a report page) at an <c>s3://</c> URI with its content type, so a browser shows it.</summary>
    public async Task UploadTextAsync(string text, string uri, string contentType, CancellationToken ct = default)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"Reports are stored under s3:// URIs, not '{uri}'.");
        }

        var (bucket, key) = S3Location(uri);
        await objects.EnsureBucketAsync(bucket, ct).ConfigureAwait(false);
        await using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await objects.PutAsync(bucket, key, content, contentType, null, null, ct).ConfigureAwait(false);
    }

    /// <summary>A small text object (a definition, a property file): exactly one object must be at the URI.</summary>
    public async Task<string> ReadTextAsync(string uri, CancellationToken ct = default)
    {
        var folder = Path.Combine(Path.GetTempPath(), "kiln-read", Guid.NewGuid().ToString("N"));
        try
        {
            var count = await DownloadAsync(uri, folder, ct).ConfigureAwait(false);
            return count == 1
                ? await File.ReadAllTextAsync(Directory.GetFiles(folder, "*", SearchOption.AllDirectories)[0], ct).ConfigureAwait(false)
                : throw KilnException.NotFound(count == 0 ? $"There is no object at {uri}." : $"{uri} names {count} objects, not one.");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>The object at the URI, or every object under it as a prefix (as a folder: "prefix/" or the key's parent).</summary>
    private async Task<int> DownloadObjectsAsync(string uri, string directory, CancellationToken ct)
    {
        var (bucket, key) = S3Location(uri);
        try
        {
            if (key.Length > 0 && !key.EndsWith('/'))
            {
                try
                {
                    var (single, content) = await objects.GetAsync(bucket, key, ct).ConfigureAwait(false);
                    await using (content)
                    {
                        await WriteFileAsync(content, Path.Combine(directory, Path.GetFileName(single.Key)), ct).ConfigureAwait(false);
                    }

                    return 1;
                }
                catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchKey)
                {
                }
            }

            var count = 0;
            var after = "";
            while (true)
            {
                var page = await objects.ListAsync(bucket, key, null, after, 1000, ct).ConfigureAwait(false);
                foreach (var item in page.Objects.Where(item => !item.Key.EndsWith('/')))
                {
                    var relative = item.Key[key.Length..].TrimStart('/');
                    var (_, content) = await objects.GetAsync(bucket, item.Key, ct).ConfigureAwait(false);
                    await using (content)
                    {
                        await WriteFileAsync(content, Path.Combine(directory, relative.Length == 0 ? Path.GetFileName(item.Key) : relative), ct).ConfigureAwait(false);
                    }

                    count++;
                }

                if (!page.IsTruncated)
                {
                    return count;
                }

                after = page.NextMarker!;
            }
        }
        catch (ObjectStoreException e)
        {
            throw KilnException.NotFound($"{uri}: {e.Message}");
        }
    }

    private static async Task WriteFileAsync(Stream content, string target, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using var file = File.Create(target);
        await content.CopyToAsync(file, ct).ConfigureAwait(false);
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

    /// <summary>A file keeps the name the URI gives it (not its link target's); in a folder, each file is checked again, since a link inside may point anywhere.</summary>
    private int CopyLocal(string uri, string directory)
    {
        var source = _fileRoots.LocalPath(uri);
        if (File.Exists(source))
        {
            File.Copy(source, Path.Combine(directory, Path.GetFileName(LocalPath(uri).TrimEnd('/'))), overwrite: true);
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
            File.Copy(_fileRoots.CheckedPath(file, $"{file} (under '{uri}')"), target, overwrite: true);
            count++;
        }

        return count;
    }
}
