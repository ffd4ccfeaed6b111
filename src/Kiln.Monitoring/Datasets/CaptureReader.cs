using System.Text;
using System.Text.Json;

namespace Kiln.Monitoring.Datasets;

/// <summary>One endpointInput or endpointOutput of a capture record, decoded to text.</summary>
public sealed record CapturedPayload(string ContentType, string Encoding, string Text)
{
    public bool IsCsv => Encoding == "CSV" || (Encoding == "BASE64" && ContentType.Contains("csv", StringComparison.OrdinalIgnoreCase));

    public bool IsJson => Encoding == "JSON" || (Encoding == "BASE64" && ContentType.Contains("json", StringComparison.OrdinalIgnoreCase));
}

/// <summary>One line of a SageMaker data-capture file.</summary>
public sealed record CapturedRecord(int Line, string EventId, string? InferenceId, string? InferenceTime, CapturedPayload? Input, CapturedPayload? Output)
{
    /// <summary>The id ground truth refers to: the inferenceId given at invocation, else the eventId.</summary>
    public string Key => string.IsNullOrEmpty(InferenceId) ? EventId : InferenceId;
}

/// <summary>
/// Reads data-capture JSON Lines: {"captureData":{"endpointInput":{observedContentType, mode, data, encoding},
/// "endpointOutput":{...}}, "eventMetadata":{eventId, inferenceId?, inferenceTime}, "eventVersion":"0"}, with
/// data in CSV, JSON or BASE64 encoding.
/// </summary>
public static class CaptureReader
{
    public static IEnumerable<CapturedRecord> Read(Stream stream, string what = "capture file")
    {
        using var text = new StreamReader(stream, leaveOpen: true);
        var number = 0;
        while (text.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return Parse(line, number, what);
            }
        }
    }

    private static CapturedRecord Parse(string line, int number, string what)
    {
        var where = $"line {number} of the {what}";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The capture record on {where} is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("captureData", out var capture) || capture.ValueKind != JsonValueKind.Object)
            {
                throw new MonitoringInputException($"The capture record on {where} has no captureData object.");
            }

            if (!root.TryGetProperty("eventMetadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object
                || !metadata.TryGetProperty("eventId", out var eventId) || eventId.ValueKind != JsonValueKind.String)
            {
                throw new MonitoringInputException($"The capture record on {where} has no eventMetadata.eventId.");
            }

            return new CapturedRecord(
                number,
                eventId.GetString()!,
                OptionalString(metadata, "inferenceId"),
                OptionalString(metadata, "inferenceTime"),
                Payload(capture, "endpointInput", where),
                Payload(capture, "endpointOutput", where));
        }
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static CapturedPayload? Payload(JsonElement capture, string name, string where)
    {
        if (!capture.TryGetProperty(name, out var payload) || payload.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("data", out var data))
        {
            throw new MonitoringInputException($"The {name} of the capture record on {where} has no data.");
        }

        var encoding = OptionalString(payload, "encoding")?.ToUpperInvariant() ?? "CSV";
        var contentType = OptionalString(payload, "observedContentType") ?? string.Empty;
        string text;
        switch (encoding)
        {
            case "CSV" or "JSON":
                text = data.ValueKind == JsonValueKind.String ? data.GetString()! : data.GetRawText();
                break;
            case "BASE64":
                if (data.ValueKind != JsonValueKind.String || !data.TryGetBytesFromBase64(out var bytes))
                {
                    throw new MonitoringInputException($"The {name} of the capture record on {where} is not valid base64.");
                }

                text = Encoding.UTF8.GetString(bytes);
                break;
            default:
                throw new MonitoringInputException($"The {name} of the capture record on {where} has the unknown encoding '{encoding}' (CSV, JSON or BASE64).");
        }

        return new CapturedPayload(contentType, encoding, text);
    }
}
