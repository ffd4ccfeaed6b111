using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;
using Kiln.Core.Processing;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// A Clarify monitor's dataset: the endpoint's captured records (endpointInput CSV features, endpointOutput
/// predictions) joined with the ground truth uploaded for them. A ground truth record's eventId names the captured
/// record's inferenceId or its eventId: Kiln captures an inferenceId for every invocation (one it makes up when the
/// caller sent none), and SageMaker's users label such traffic by the captured eventId. Columns
/// follow the config's headers: the label column holds the ground truth, the others the captured features in order.
/// </summary>
internal sealed record CapturedClarifyData(ClarifyDataset Dataset, double[] Predictions)
{
    /// <param name="outputAttribute">EndpointInput's ProbabilityAttribute or InferenceAttribute: the CSV column index or JSON key of the score.</param>
    public static CapturedClarifyData Read(AnalysisConfig config, IReadOnlyList<string> captureFiles, IReadOnlyList<string> groundTruthFiles, string? outputAttribute, bool needsGroundTruth)
    {
        var headers = config.Headers!;
        var labelIndex = config.Label is { } label ? label.Index ?? IndexOf(headers, label.Name!) : -1;
        var featureCount = headers.Count - (labelIndex >= 0 ? 1 : 0);
        var truth = GroundTruth(groundTruthFiles);
        var rows = new List<string?[]>();
        var predictions = new List<double>();
        foreach (var record in CapturedRecords(captureFiles))
        {
            var inputs = Lines(record.Input);
            var outputs = Lines(record.Output);
            if (outputs.Count != inputs.Count)
            {
                throw new BuiltInProcessingException($"ClientError: captured event {record.Id} has {inputs.Count} input row(s) but {outputs.Count} prediction(s).");
            }

            var labels = truth.TryGetValue(record.Id, out var found) || truth.TryGetValue(record.EventId, out found) ? Lines(found) : [];
            if (needsGroundTruth && labels.Count != inputs.Count)
            {
                continue;
            }

            for (var i = 0; i < inputs.Count; i++)
            {
                var features = inputs[i].Split(',');
                if (features.Length != featureCount)
                {
                    throw new BuiltInProcessingException($"ClientError: captured event {record.Id} has {features.Length} features but the config's headers name {featureCount}.");
                }

                var row = new List<string?>(features);
                if (labelIndex >= 0)
                {
                    row.Insert(labelIndex, i < labels.Count ? labels[i] : null);
                }

                rows.Add([.. row]);
                predictions.Add(Score(outputs[i], outputAttribute, record.Id));
            }
        }

        if (rows.Count == 0)
        {
            throw new BuiltInProcessingException(needsGroundTruth
                ? "ClientError: no captured record in the analysis window has ground truth (uploaded with its inferenceId or eventId)."
                : "ClientError: no captured records in the analysis window.");
        }

        var dataset = new ClarifyDataset([.. headers.Select((name, c) => new DataColumn(name, [.. rows.Select(row => row[c])]))]);
        return new CapturedClarifyData(dataset, [.. predictions]);
    }

    /// <param name="Id">The inferenceId, else the eventId.</param>
    private sealed record CapturedRecord(string Id, string EventId, string Input, string Output);

    private static IEnumerable<CapturedRecord> CapturedRecords(IReadOnlyList<string> files)
    {
        foreach (var line in files.SelectMany(File.ReadLines).Where(line => line.Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty("captureData", out var data)
                || !data.TryGetProperty("endpointInput", out var input)
                || !data.TryGetProperty("endpointOutput", out var output))
            {
                continue;
            }

            yield return new CapturedRecord(EventId(root), EventIdOnly(root), Payload(input), Payload(output));
        }
    }

    /// <summary>Ground truth records ({"groundTruthData": {"data", "encoding"}, "eventMetadata": {"eventId"}}) by event id.</summary>
    private static Dictionary<string, string> GroundTruth(IReadOnlyList<string> files)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in files.SelectMany(File.ReadLines).Where(line => line.Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.TryGetProperty("groundTruthData", out var data))
            {
                labels[EventId(root)] = Payload(data);
            }
        }

        return labels;
    }

    private static string EventId(JsonElement root) =>
        root.TryGetProperty("eventMetadata", out var metadata)
            ? (metadata.TryGetProperty("inferenceId", out var inference) && inference.GetString() is { Length: > 0 } id ? id
                : metadata.TryGetProperty("eventId", out var eventId) ? eventId.GetString() ?? "" : "")
            : "";

    private static string EventIdOnly(JsonElement root) =>
        root.TryGetProperty("eventMetadata", out var metadata) && metadata.TryGetProperty("eventId", out var eventId) ? eventId.GetString() ?? "" : "";

    private static string Payload(JsonElement payload)
    {
        var data = payload.TryGetProperty("data", out var d) ? d.GetString() ?? "" : "";
        return payload.TryGetProperty("encoding", out var encoding) && encoding.GetString() == "BASE64"
            ? Encoding.UTF8.GetString(Convert.FromBase64String(data))
            : data;
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>The score in one prediction line: a CSV column (the attribute as an index, else the first) or a JSON key.</summary>
    private static double Score(string prediction, string? attribute, string id)
    {
        string text;
        if (prediction.StartsWith('{'))
        {
            using var document = JsonDocument.Parse(prediction);
            text = attribute is not null && document.RootElement.TryGetProperty(attribute, out var value)
                ? value.ToString()
                : throw new BuiltInProcessingException($"ClientError: captured prediction of event {id} has no '{attribute}' field.");
        }
        else
        {
            var cells = prediction.Split(',');
            var column = int.TryParse(attribute, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : 0;
            text = column < cells.Length ? cells[column] : throw new BuiltInProcessingException($"ClientError: captured prediction of event {id} has no column {column}.");
        }

        return double.TryParse(text.Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var score)
            ? score
            : throw new BuiltInProcessingException($"ClientError: captured prediction '{text}' of event {id} is not a number.");
    }

    private static int IndexOf(IReadOnlyList<string> headers, string name)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (headers[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
