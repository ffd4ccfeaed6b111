using System.Text;
using System.Text.Json;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>
/// Ground truth JSON Lines as SageMaker takes them:
/// {"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"…"},"eventVersion":"0"}; the
/// eventId is the inferenceId given at invocation, or else the captured eventId. A later label for an id wins.
/// </summary>
public static class GroundTruthReader
{
    /// <param name="names">The files' names, for errors that say where a bad record is (else they are numbered).</param>
    public static Dictionary<string, string> Read(IReadOnlyList<Stream> files, IReadOnlyList<string>? names = null)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var f = 0; f < files.Count; f++)
        {
            using var text = new StreamReader(files[f], leaveOpen: true);
            var number = 0;
            while (text.ReadLine() is { } line)
            {
                number++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    var (id, label) = Parse(line, $"line {number} of ground truth file {(names is null ? f + 1 : names[f])}");
                    labels[id] = label;
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new MonitoringInputException("The ground truth files hold no records.");
        }

        return labels;
    }

    private static (string Id, string Label) Parse(string line, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The ground truth record on {where} is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("eventMetadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object
                || !metadata.TryGetProperty("eventId", out var id) || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
            {
                throw new MonitoringInputException($"The ground truth record on {where} has no eventMetadata.eventId to match a captured inference.");
            }

            if (!root.TryGetProperty("groundTruthData", out var data) || data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("data", out var value))
            {
                throw new MonitoringInputException($"The ground truth record on {where} has no groundTruthData.data.");
            }

            var encoding = data.TryGetProperty("encoding", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()!.ToUpperInvariant() : "CSV";
            var label = encoding switch
            {
                "CSV" or "JSON" => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(),
                "BASE64" when value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes) => Encoding.UTF8.GetString(bytes),
                "BASE64" => throw new MonitoringInputException($"The ground truth on {where} is not valid base64."),
                _ => throw new MonitoringInputException($"The ground truth on {where} has the unknown encoding '{encoding}' (CSV, JSON or BASE64)."),
            };
            if (encoding == "JSON" || (label.Length > 0 && label.TrimStart()[0] is '{' or '['))
            {
                label = JsonLabel(label, where);
            }

            return (id.GetString()!, label.Trim());
        }
    }

    /// <summary>A JSON label: a scalar, or an object with one property (e.g. {"label": 1}).</summary>
    private static string JsonLabel(string text, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Count() == 1)
            {
                root = root.EnumerateObject().First().Value;
            }

            return root.ValueKind switch
            {
                JsonValueKind.String => root.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => root.GetRawText(),
                _ => throw new MonitoringInputException($"The ground truth on {where} is not a single label."),
            };
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The JSON ground truth on {where} is not JSON: {e.Message}", e);
        }
    }
}
