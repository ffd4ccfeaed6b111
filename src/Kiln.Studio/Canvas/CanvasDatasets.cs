using Kiln.AutoML.Data;
using Kiln.Core.Objects;
using Kiln.Training.Data;

namespace Kiln.Studio.Canvas;

/// <summary>A CSV uploaded in the no-code flow: where it lives in the object store, and its rows as AutoML reads them.</summary>
public sealed record CanvasDataset(string Id, string FileName, string Uri, long Size, RawTable Table)
{
    /// <summary>A column is numeric when every present cell parsed as a number (as AutoML's reader decides it).</summary>
    public bool IsNumeric(int column) => Table.Rows.All(row => row[column] is null or double);

    public IReadOnlyList<string> DistinctValues(int column, int max) =>
        Table.Rows.Select(row => TableProfile.Text(row[column])).OfType<string>().Distinct(StringComparer.Ordinal).Take(max + 1).ToList();
}

/// <summary>
/// Datasets of the Canvas flow are plain objects in Kiln's object store (the bucket the S3 API serves), so an AutoML job
/// reads them from an s3:// URI like any other job. One upload is one prefix: s3://kiln-studio/canvas/{id}/{file}.
/// </summary>
public sealed class CanvasDatasets(ObjectStore objects, AutoMLData data, AutoMLWorkspace workspace)
{
    public const string Bucket = "kiln-studio";
    private const string Prefix = "canvas/";

    public async Task<string> UploadAsync(string fileName, Stream content, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var name = SafeName(fileName);
        await objects.EnsureBucketAsync(Bucket, ct);
        await objects.PutAsync(Bucket, $"{Prefix}{id}/{name}", content, "text/csv", null, ct: ct);
        return id;
    }

    /// <summary>The dataset with this id, read as AutoML will read it; null when there is none.</summary>
    public async Task<CanvasDataset?> FindAsync(string id, CancellationToken ct)
    {
        if (id.Length == 0 || !id.All(char.IsAsciiLetterOrDigit))
        {
            return null;
        }

        ObjectListing listing;
        try
        {
            listing = await objects.ListAsync(Bucket, $"{Prefix}{id}/", null, "", 10, ct);
        }
        catch (ObjectStoreException)
        {
            return null;
        }

        if (listing.Objects.Count == 0)
        {
            return null;
        }

        var info = listing.Objects[0];
        var uri = $"s3://{Bucket}/{info.Key}";
        var table = await data.ReadAsync(uri, "text/csv", "", workspace.Root, ct);
        return new CanvasDataset(id, info.Key[(Prefix.Length + id.Length + 1)..], uri, info.Size, table);
    }

    private static string SafeName(string fileName)
    {
        var name = new string(Path.GetFileName(fileName).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return name.Trim('.') is { Length: > 0 } trimmed ? trimmed : "data.csv";
    }
}
