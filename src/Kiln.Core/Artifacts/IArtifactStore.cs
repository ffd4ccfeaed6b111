namespace Kiln.Core.Artifacts;

/// <summary>A file under an artifact store. Directories have no size.</summary>
public sealed record ArtifactEntry(string Path, bool IsDirectory, long? Size);

/// <summary>
/// A tree of files addressed by safe relative paths (see <see cref="ArtifactPath"/>). The embedded
/// default keeps them on the local file system; a cluster keeps them in an S3-compatible store.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores <paramref name="content"/> at <paramref name="path"/>, replacing any file there. Readers see the old or the new file, never a part.</summary>
    Task WriteAsync(string path, Stream content, CancellationToken ct = default);

    /// <summary>Opens the file at <paramref name="path"/>, or returns null when there is no file.</summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken ct = default);

    Task<ArtifactEntry?> StatAsync(string path, CancellationToken ct = default);

    /// <summary>Lists the direct children of a folder ("" is the root); null when the folder does not exist.</summary>
    Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string path, CancellationToken ct = default);

    /// <summary>Deletes a file or a whole folder; returns false when nothing was there.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken ct = default);
}
