using System.Text;
using System.Text.Json;
using Kiln.Api.MLflow;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Tabular;
using Kiln.Core.Tracking;

namespace Kiln.Studio.Data;

public enum PreviewKind
{
    None,
    Image,
    Table,
    Json,
    Text,
    Html,
    TooLarge,
    MlflowModel,
}

/// <summary>
/// What the artifacts browser shows for a file: rows of a CSV, indented JSON, text, an MLflow model (its MLmodel file
/// read, with the files of its folder), or a link to the bytes.
/// </summary>
public sealed record ArtifactPreview(
    PreviewKind Kind,
    string? Text = null,
    IReadOnlyList<string[]>? Rows = null,
    string? Error = null,
    MlflowModelFile? Model = null,
    IReadOnlyList<ArtifactEntry>? Files = null);

/// <summary>A run's artifacts as the browser lists and previews them, read from the artifact store in process.</summary>
public sealed class RunArtifacts(IArtifactStore store)
{
    public const int PreviewRows = 20;
    private const long MaxPreviewBytes = 1024 * 1024;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The entries of a folder of the run's artifacts ("" is the root), with paths relative to the run.</summary>
    public async Task<IReadOnlyList<ArtifactEntry>> ListAsync(Run run, string path, CancellationToken ct = default)
    {
        if (Root(run) is not { } root)
        {
            return [];
        }

        if (SafePath(path) is not { } folder)
        {
            return [];
        }

        var entries = await store.ListAsync(ArtifactPath.Combine(root, folder), ct) ?? [];
        return entries
            .Select(entry => entry with { Path = ArtifactPath.Combine(folder, entry.Path[(entry.Path.LastIndexOf('/') + 1)..]) })
            .OrderBy(entry => !entry.IsDirectory).ThenBy(entry => entry.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Opens a file of the run's artifacts; null when there is none.</summary>
    public async Task<Stream?> OpenAsync(Run run, string path, CancellationToken ct = default) =>
        Root(run) is { } root && SafePath(path) is { } file ? await store.OpenReadAsync(ArtifactPath.Combine(root, file), ct) : null;

    public async Task<ArtifactPreview> PreviewAsync(Run run, ArtifactEntry entry, CancellationToken ct = default)
    {
        var kind = KindOf(entry.Path);
        if (kind is PreviewKind.None or PreviewKind.Image)
        {
            return new ArtifactPreview(kind);
        }

        if (kind != PreviewKind.Table && entry.Size > MaxPreviewBytes)
        {
            return new ArtifactPreview(PreviewKind.TooLarge);
        }

        await using var stream = await OpenAsync(run, entry.Path, ct);
        if (stream is null)
        {
            return new ArtifactPreview(PreviewKind.None);
        }

        return kind switch
        {
            PreviewKind.Table => Table(stream),
            PreviewKind.Json => Json(await ReadTextAsync(stream, ct)),
            PreviewKind.MlflowModel => await ModelAsync(run, entry, await ReadTextAsync(stream, ct), ct),
            _ => new ArtifactPreview(kind, await ReadTextAsync(stream, ct)),
        };
    }

    public static PreviewKind KindOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" or ".jpg" or ".jpeg" or ".gif" or ".svg" or ".webp" => PreviewKind.Image,
        ".csv" => PreviewKind.Table,
        ".json" => PreviewKind.Json,
        ".html" or ".htm" => PreviewKind.Html,
        ".txt" or ".log" or ".md" or ".yaml" or ".yml" or ".py" or ".toml" or ".ini" or ".cfg" => PreviewKind.Text,
        _ when Path.GetFileName(path) is "MLmodel" => PreviewKind.MlflowModel,
        _ when Path.GetFileName(path) is "requirements.txt" or "conda.yaml" => PreviewKind.Text,
        _ => PreviewKind.None,
    };

    private static ArtifactPreview Table(Stream stream)
    {
        var rows = new List<string[]>();
        try
        {
            using var reader = CsvReader.FromStream(stream, ragged: true);
            while (rows.Count <= PreviewRows && reader.Read())
            {
                rows.Add(reader.ToStrings());
            }
        }
        catch (CsvFormatException e)
        {
            return new ArtifactPreview(PreviewKind.Table, Rows: rows, Error: e.Message);
        }

        return new ArtifactPreview(PreviewKind.Table, Rows: rows);
    }

    private async Task<ArtifactPreview> ModelAsync(Run run, ArtifactEntry entry, string text, CancellationToken ct)
    {
        var slash = entry.Path.LastIndexOf('/');
        var files = await ListAsync(run, slash < 0 ? "" : entry.Path[..slash], ct);
        return new ArtifactPreview(PreviewKind.MlflowModel, text, Model: MlflowModelFile.Parse(text), Files: files);
    }

    private static ArtifactPreview Json(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return new ArtifactPreview(PreviewKind.Json, JsonSerializer.Serialize(document.RootElement, Indented));
        }
        catch (JsonException e)
        {
            return new ArtifactPreview(PreviewKind.Text, text, Error: "Not valid JSON: " + e.Message);
        }
    }

    private static async Task<string> ReadTextAsync(Stream stream, CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    private static string? Root(Run run) => MlflowArtifactsApi.StorePath(run.Info.ArtifactUri);

    /// <summary>The path normalized, or null when it would leave the run's folder (.., absolute): there is nothing there.</summary>
    private static string? SafePath(string path)
    {
        try
        {
            return ArtifactPath.Normalize(path);
        }
        catch (KilnException)
        {
            return null;
        }
    }
}
