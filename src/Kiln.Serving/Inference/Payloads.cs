using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Tabular;
using Kiln.Core.Training;

namespace Kiln.Serving.Inference;

/// <summary>A payload the model cannot take: the model container's 4xx answer (400 bad data, 415 unsupported content type).</summary>
public sealed class PayloadException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The request and response formats of SageMaker's built-in algorithms (their "common data formats"):
/// <c>text/csv</c> (one row per line, no header) and <c>application/json</c>
/// (<c>{"instances": [[…], {"features": […]}, "text"]}</c>, a bare list of rows, or one row) in;
/// CSV (one prediction per line) or JSON (<c>{"predictions": [{"score": …, "predicted_label": …}]}</c>) out.
/// </summary>
public static class Payloads
{
    public const string Csv = "text/csv";
    public const string Json = "application/json";
    public const string JsonLines = "application/jsonlines";

    /// <summary>The media type without parameters, lower-cased (<c>text/csv; charset=utf-8</c> → <c>text/csv</c>).</summary>
    public static string MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || string.Equals(contentType, Csv, StringComparison.OrdinalIgnoreCase))
        {
            return Csv;
        }

        if (string.Equals(contentType, Json, StringComparison.OrdinalIgnoreCase))
        {
            return Json;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    public static bool IsCsv(string mediaType) => mediaType is Csv or "text/plain" or "application/csv";

    public static bool IsJson(string mediaType) => mediaType is Json or JsonLines or "application/x-json" or "application/jsonl";

    /// <summary>Parses a request body into rows; throws <see cref="PayloadException"/> naming what is wrong.</summary>
    public static IReadOnlyList<FeatureRow> Decode(ReadOnlySpan<byte> body, string? contentType)
    {
        var media = MediaType(contentType);
        if (IsCsv(media))
        {
            return DecodeCsv(body);
        }

        if (media == JsonLines)
        {
            var rows = new List<FeatureRow>();
            foreach (var line in Lines(body.ToArray()))
            {
                rows.AddRange(DecodeJson(line.Span));
            }

            return rows;
        }

        if (IsJson(media))
        {
            return DecodeJson(body);
        }

        throw new PayloadException(415, $"Content type {contentType} is not supported by this model; send text/csv or application/json.");
    }

    /// <summary>Writes predictions in the format asked for (<c>Accept</c>), defaulting to the request's own format.</summary>
    /// <remarks>With <paramref name="output"/> (a model's SAGEMAKER_INFERENCE_OUTPUT), each row answers the keys it lists.</remarks>
    public static (byte[] Body, string ContentType) Encode(IReadOnlyList<PredictionRow> predictions, string? accept, string requestMediaType, InferenceOutput? output = null)
    {
        var media = string.IsNullOrWhiteSpace(accept) || accept.Contains("*/*", StringComparison.Ordinal)
            ? (IsJson(requestMediaType) ? Json : Csv)
            : MediaType(accept.Split(',')[0]);
        if (IsCsv(media))
        {
            return (output?.Csv(predictions) ?? EncodeCsv(predictions), Csv);
        }

        if (media == JsonLines)
        {
            return (output?.Json(predictions, lines: true) ?? EncodeJsonLines(predictions), JsonLines);
        }

        if (IsJson(media))
        {
            return (output?.Json(predictions, lines: false) ?? EncodeJson(predictions), Json);
        }

        throw new PayloadException(406, $"Accept type {accept} is not supported by this model; ask for text/csv or application/json.");
    }

    /// <summary>One output per prediction, for batch transform's per-record results: a CSV line's value(s), or a JSON object.</summary>
    public static (IReadOnlyList<string> Records, string ContentType) EncodeEach(IReadOnlyList<PredictionRow> predictions, string? accept, string requestMediaType, InferenceOutput? output = null)
    {
        var (body, contentType) = Encode(predictions, accept, requestMediaType, output);
        if (contentType == Json)
        {
            (body, contentType) = (output?.Json(predictions, lines: true) ?? EncodeJsonLines(predictions), Json);
        }

        var text = Encoding.UTF8.GetString(body);
        return (text.Split('\n', StringSplitOptions.RemoveEmptyEntries), contentType);
    }

    /// <summary>The lines of a body, without line ends, skipping blank lines.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> body)
    {
        var start = 0;
        while (start < body.Length)
        {
            var end = body.Span[start..].IndexOf((byte)'\n');
            var line = end < 0 ? body[start..] : body.Slice(start, end);
            start = end < 0 ? body.Length : start + end + 1;
            if (line.Length > 0 && line.Span[^1] == '\r')
            {
                line = line[..^1];
            }

            if (!line.Span.Trim((byte)' ').IsEmpty)
            {
                yield return line;
            }
        }
    }

    private static List<FeatureRow> DecodeJson(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new PayloadException(400, $"The request body is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("instances", out var instances))
            {
                return instances.ValueKind == JsonValueKind.Array
                    ? instances.EnumerateArray().Select((instance, i) => Instance(instance, i)).ToList()
                    : throw new PayloadException(400, "\"instances\" must be a list of rows.");
            }

            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root[0].ValueKind is JsonValueKind.Array or JsonValueKind.Object)
            {
                return root.EnumerateArray().Select((instance, i) => Instance(instance, i)).ToList();
            }

            return [Instance(root, 0)];
        }
    }

    private static FeatureRow Instance(JsonElement instance, int index)
    {
        switch (instance.ValueKind)
        {
            case JsonValueKind.String:
                return new FeatureRow(null, instance.GetString());
            case JsonValueKind.Array:
                return Cells(instance.EnumerateArray().Select(value => Cell(value, index)).ToArray());
            case JsonValueKind.Object when instance.TryGetProperty("features", out var features) && features.ValueKind == JsonValueKind.Array:
                return Cells(features.EnumerateArray().Select(value => Cell(value, index)).ToArray());
            case JsonValueKind.Object when (instance.TryGetProperty("text", out var text) || instance.TryGetProperty("source", out text)) && text.ValueKind == JsonValueKind.String:
                return new FeatureRow(null, text.GetString());
            default:
                throw new PayloadException(400, $"Instance {index + 1} must be a list of values, an object with \"features\", or a text string.");
        }
    }

    private static object? Cell(JsonElement value, int index) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.True => 1.0,
        JsonValueKind.False => 0.0,
        _ => throw new PayloadException(400, $"Instance {index + 1} holds a {value.ValueKind.ToString().ToLowerInvariant()}; values must be numbers, strings or null."),
    };

    /// <summary>All-numeric rows travel as a float vector; rows with text keep their raw cells (the model's encoder handles them).</summary>
    private static FeatureRow Cells(object?[] cells)
    {
        var numeric = true;
        foreach (var cell in cells)
        {
            if (cell is not (double or null))
            {
                numeric = false;
                break;
            }
        }

        if (numeric)
        {
            var features = new float[cells.Length];
            for (var i = 0; i < cells.Length; i++)
            {
                features[i] = cells[i] is double number ? (float)number : float.NaN;
            }

            return new FeatureRow(features);
        }

        // A single text cell is the row's text (for text models); wider rows keep only their cells.
        return new FeatureRow(null, cells.Length == 1 ? cells[0] as string : null, cells);
    }

    private static List<FeatureRow> DecodeCsv(ReadOnlySpan<byte> body)
    {
        var rows = new List<FeatureRow>();
        try
        {
            using var csv = CsvReader.FromText(Encoding.UTF8.GetString(body));
            while (csv.Read())
            {
                rows.Add(NumericRow(csv) ?? Cells(TextRow(csv)));
            }
        }
        catch (CsvRaggedRowException e)
        {
            throw new PayloadException(400, $"Line {e.Line} has {e.Count} values but line 1 has {e.Width}: every CSV row must have the same number of columns.");
        }
        catch (CsvFormatException e)
        {
            throw new PayloadException(400, $"Line {e.Line}: {e.Problem}.");
        }

        if (rows.Count == 0)
        {
            throw new PayloadException(400, "The request body holds no CSV rows.");
        }

        return rows;
    }

    /// <summary>The common request, numbers and missing values only, straight into a float vector; null when a cell is text.</summary>
    private static FeatureRow? NumericRow(CsvReader csv)
    {
        var wide = csv.Count > 256 ? new float[csv.Count] : null; // narrow rows parse on the stack: a text row costs nothing
        var features = wide ?? stackalloc float[csv.Count];
        for (var i = 0; i < features.Length; i++)
        {
            var cell = csv[i];
            if (cell.Quoted)
            {
                return null;
            }

            if (cell.TryDouble(out var number))
            {
                features[i] = (float)number;
            }
            else if (Missing(cell))
            {
                features[i] = float.NaN;
            }
            else
            {
                return null;
            }
        }

        return new FeatureRow(wide ?? features.ToArray());
    }

    /// <summary>A row with text: quoted cells stay text, numbers become doubles, missing values null.</summary>
    private static object?[] TextRow(CsvReader csv)
    {
        var cells = new object?[csv.Count];
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = csv[i];
            cells[i] = cell.Quoted ? cell.ToString() : cell.TryDouble(out var number) ? number : Missing(cell) ? null : cell.ToString();
        }

        return cells;
    }

    private static bool Missing(CsvCell cell) => cell.Text is "" or "NA" or "NaN" or "nan" or "null";

    private static byte[] EncodeCsv(IReadOnlyList<PredictionRow> predictions)
    {
        var buffer = new ArrayBufferWriter<byte>(predictions.Count * 24);
        Span<byte> number = stackalloc byte[32];
        foreach (var prediction in predictions)
        {
            if (prediction.Vector is { } vector)
            {
                for (var i = 0; i < vector.Count; i++)
                {
                    if (i > 0)
                    {
                        buffer.Write(","u8);
                    }

                    Write(buffer, vector[i], number);
                }
            }
            else
            {
                Write(buffer, prediction.Value, number);
            }

            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ArrayBufferWriter<byte> buffer, double value, Span<byte> scratch)
    {
        value.TryFormat(scratch, out var written, default, CultureInfo.InvariantCulture);
        buffer.Write(scratch[..written]);
    }

    private static byte[] EncodeJson(IReadOnlyList<PredictionRow> predictions)
    {
        var buffer = new ArrayBufferWriter<byte>(predictions.Count * 48 + 32);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("predictions");
            foreach (var prediction in predictions)
            {
                WritePrediction(json, prediction);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] EncodeJsonLines(IReadOnlyList<PredictionRow> predictions)
    {
        var buffer = new ArrayBufferWriter<byte>(predictions.Count * 48);
        foreach (var prediction in predictions)
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                WritePrediction(json, prediction);
            }

            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePrediction(Utf8JsonWriter json, PredictionRow prediction)
    {
        json.WriteStartObject();
        json.WritePropertyName("score");
        Number(json, prediction.Value);
        if (prediction.Label is { } label)
        {
            json.WriteString("predicted_label", label);
        }

        if (prediction.Probabilities is { } probabilities)
        {
            json.WriteStartArray("probabilities");
            foreach (var p in probabilities)
            {
                Number(json, p);
            }

            json.WriteEndArray();
        }

        if (prediction.Vector is { } vector)
        {
            json.WriteStartArray("vector");
            foreach (var v in vector)
            {
                Number(json, v);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>JSON has no NaN or infinity: a model's non-finite output is written as null.</summary>
    private static void Number(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteNullValue();
        }
    }
}
