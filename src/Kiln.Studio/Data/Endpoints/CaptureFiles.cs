using System.Text;
using System.Text.Json;
using Kiln.Core.Artifacts;
using Kiln.Core.Objects;
using Kiln.Core.Serving;

namespace Kiln.Studio.Data.Endpoints;

/// <summary>One captured file: the variant and hour it belongs to (from its key) and the object behind it.</summary>
public sealed record CaptureFile(string Variant, string Hour, ObjectInfo Object)
{
    public string Name => Object.Key[(Object.Key.LastIndexOf('/') + 1)..];
}

/// <summary>One captured request as SageMaker's JSON Lines capture format has it.</summary>
public sealed record CapturedRecord(string InferenceId, string Time, string? Input, string? Output);

/// <summary>
/// The data capture browser: files the capture writer stored under
/// <c>{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/</c>, grouped by hour, and the records of one file.
/// </summary>
public sealed class CaptureFiles(ObjectStore objects)
{
    private const int MaxFiles = 1000;
    public const int MaxRecords = 100;

    /// <summary>The capture files of an endpoint, latest hour first; empty when capture is off or nothing is stored yet.</summary>
    public async Task<IReadOnlyList<CaptureFile>> ListAsync(string endpoint, DataCaptureSpec? capture, CancellationToken ct = default)
    {
        if (capture is not { DestinationUri: var destination } || !destination.StartsWith("s3://", StringComparison.Ordinal))
        {
            return [];
        }

        var (bucket, prefix) = DataUris.S3Location(destination.TrimEnd('/'));
        var root = string.Join('/', new[] { prefix, endpoint }.Where(part => part.Length > 0)) + "/";
        ObjectListing listing;
        try
        {
            listing = await objects.ListAsync(bucket, root, null, "", MaxFiles, ct);
        }
        catch (ObjectStoreException)
        {
            return [];
        }

        return listing.Objects
            .Select(o => (Object: o, Parts: o.Key[root.Length..].Split('/')))
            .Where(f => f.Parts.Length == 6)
            .Select(f => new CaptureFile(f.Parts[0], $"{f.Parts[1]}-{f.Parts[2]}-{f.Parts[3]} {f.Parts[4]}:00 UTC", f.Object))
            .OrderByDescending(f => f.Hour, StringComparer.Ordinal)
            .ThenBy(f => f.Variant, StringComparer.Ordinal)
            .ThenBy(f => f.Object.Key, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The first records of a capture file.</summary>
    public async Task<IReadOnlyList<CapturedRecord>> ReadAsync(CaptureFile file, CancellationToken ct = default)
    {
        var (_, content) = await objects.GetAsync(file.Object.Bucket, file.Object.Key, ct);
        await using (content)
        {
            using var reader = new StreamReader(content, Encoding.UTF8);
            var records = new List<CapturedRecord>();
            while (records.Count < MaxRecords && await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 0)
                {
                    records.Add(Parse(line));
                }
            }

            return records;
        }
    }

    private static CapturedRecord Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var metadata = root.GetProperty("eventMetadata");
        var data = root.GetProperty("captureData");
        return new CapturedRecord(
            Text(metadata, "inferenceId") ?? "",
            Text(metadata, "inferenceTime") ?? "",
            Payload(data, "endpointInput"),
            Payload(data, "endpointOutput"));
    }

    private static string? Payload(JsonElement data, string name)
    {
        if (!data.TryGetProperty(name, out var payload) || Text(payload, "data") is not { } text)
        {
            return null;
        }

        return Text(payload, "encoding") == "BASE64" ? DecodeOrKeep(text) : text;
    }

    private static string DecodeOrKeep(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return base64;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
