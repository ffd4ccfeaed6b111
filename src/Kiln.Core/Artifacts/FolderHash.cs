using System.Security.Cryptography;

namespace Kiln.Core.Artifacts;

/// <summary>
/// Content hashes for lineage: SHA-256 over each file's relative path and bytes, in path order. A single
/// file hashes as a folder holding just that file, so an object and the folder it is downloaded into agree.
/// </summary>
public static class FolderHash
{
    public static Task<string> ComputeAsync(string directory, CancellationToken ct = default) =>
        HashAsync(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(file => (file, Path.GetRelativePath(directory, file).Replace('\\', '/'))), ct);

    public static Task<string> FileAsync(string file, CancellationToken ct = default) =>
        HashAsync([(file, Path.GetFileName(file))], ct);

    private static async Task<string> HashAsync(IEnumerable<(string File, string Relative)> entries, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        foreach (var (file, relative) in entries.OrderBy(entry => entry.Relative, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(relative + "\n"));
            await using var stream = File.OpenRead(file);
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
