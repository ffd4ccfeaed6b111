using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;

namespace Kiln.Api.Security;

/// <summary>
/// Whether a model's data carries its own inference code: a <c>code/</c> folder (<c>code/inference.py</c> and the
/// modules it imports) inside <c>model.tar.gz</c>, or beside it under a prefix. Kiln runs such a script in its Python
/// workers even without <c>SAGEMAKER_PROGRAM</c>, so creating the model needs the right to run code.
/// </summary>
internal static class ModelDataCode
{
    public static async Task<bool> HasInferenceCodeAsync(DataUris data, string? modelDataUrl, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(modelDataUrl))
        {
            return false;
        }

        var folder = Path.Combine(Path.GetTempPath(), "kiln-model-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            await data.DownloadAsync(modelDataUrl, folder, ct);
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
                if (IsCode(relative) || (IsArchive(file) && await ArchiveHasCodeAsync(file, ct)))
                {
                    return true;
                }
            }

            return false;
        }
        catch (KilnException)
        {
            // Model data that cannot be read is refused (or not) where the model is loaded; it holds no code we can see.
            return false;
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool IsCode(string entry)
    {
        var path = entry.StartsWith("./", StringComparison.Ordinal) ? entry[2..] : entry;
        return path.StartsWith("code/", StringComparison.Ordinal) && path.Length > "code/".Length && !path.EndsWith('/');
    }

    private static bool IsArchive(string file) =>
        file.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".tar", StringComparison.OrdinalIgnoreCase);

    private static async Task<bool> ArchiveHasCodeAsync(string file, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(file);
            Stream content = file.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? stream : new GZipStream(stream, CompressionMode.Decompress);
            await using var closeContent = content;
            await using var tar = new TarReader(content);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && IsCode(entry.Name))
                {
                    return true;
                }
            }

            return false;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            return false;
        }
    }
}
