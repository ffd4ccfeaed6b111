using System.Security.Cryptography;

namespace Kiln.Core.Artifacts;

/// <summary>A folder's content hash: SHA-256 over each file's relative path and bytes, in path order (lineage's dataset identity).</summary>
public static class FolderHash
{
    public static async Task<string> ComputeAsync(string directory, CancellationToken ct = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(file => (File: file, Relative: Path.GetRelativePath(directory, file).Replace('\\', '/')))
            .OrderBy(entry => entry.Relative, StringComparer.Ordinal);
        var buffer = new byte[81920];
        foreach (var (file, relative) in files)
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
