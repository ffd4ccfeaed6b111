using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Clarify.Config;
using Kiln.Clarify.Explainability;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tabular;
using Kiln.Serving.Inference;
using Kiln.Serving.Models;

namespace Kiln.Serving.Explain;

/// <summary>Calls the endpoint's model on a CSV batch of records (the synthetic coalition rows), answering in the given Accept type.</summary>
internal delegate ValueTask<ServedAnswer> ModelCall(ReadOnlyMemory<byte> csv, string? accept, CancellationToken ct);

/// <summary>
/// SageMaker Clarify online explainability for one invocation: the model's answer is read as one record per
/// request row, EnableExplanations (the request's, else the config's; absent means every record) picks the
/// records to explain, and Kernel SHAP explains them against the config's baseline by calling the same variant's
/// model in-process, one call per explained record (its coalitions × the baseline), split by MaxRecordCount and
/// MaxPayloadInMB. The answer is the explainer's JSON (<see cref="ExplainerResponse"/>).
/// </summary>
internal static class OnlineExplainer
{
    public static async Task<byte[]> ExplainAsync(ClarifyExplainerSpec spec, InvocationRequest request, ServedAnswer answer, ModelCall model, CancellationToken ct)
    {
        var expression = request.EnableExplanations ?? spec.EnableExplanations;
        var filter = expression is null ? null : ExplanationFilter.Parse(expression);
        var records = ModelRecords.Read(answer.Body, answer.ContentType);
        var selected = new List<int>();
        for (var i = 0; i < records.Count; i++)
        {
            if (filter is null || filter.Selects(records[i]))
            {
                selected.Add(i);
            }
        }

        double[][]? values = null;
        if (selected.Count > 0)
        {
            if (!Payloads.IsCsv(Payloads.MediaType(request.ContentType)))
            {
                throw KilnException.InvalidParameter($"Kiln explains text/csv requests; this one is {request.ContentType}.");
            }

            var rows = ReadRows(request.Body);
            if (rows.Count != records.Count)
            {
                throw KilnException.InvalidParameter($"The model answered {records.Count} records for the request's {rows.Count}; explanations need one per record.");
            }

            var predictor = new EndpointPredictor(spec.Inference, request.Accept ?? answer.ContentType, model);
            var shap = new KernelShap(predictor, new KernelShapOptions(spec.NumberOfSamples, spec.Seed ?? 0, spec.UseLogit ?? false));
            ShapValues result;
            try
            {
                result = await shap.ExplainAsync([.. selected.Select(i => rows[i])], spec.BaselineRows(), ct).ConfigureAwait(false);
            }
            catch (ClarifyValidationException e)
            {
                throw KilnException.InvalidParameter($"Explanation failed: {e.Message}");
            }

            values = new double[records.Count][];
            for (var k = 0; k < selected.Count; k++)
            {
                values[selected[k]] = result.Values[k];
            }
        }

        return ExplainerResponse.Write(answer.ContentType, answer.Body, spec.Inference, values);
    }

    private static List<string?[]> ReadRows(ReadOnlyMemory<byte> body)
    {
        var rows = new List<string?[]>();
        try
        {
            using var reader = CsvReader.FromText(Encoding.UTF8.GetString(body.Span), ragged: true);
            while (reader.Read())
            {
                rows.Add(reader.ToStrings());
            }
        }
        catch (CsvFormatException e)
        {
            throw KilnException.InvalidParameter($"The request is not valid CSV: {e.Message}");
        }

        return rows;
    }

    /// <summary>The model as Kernel SHAP sees it: coalition rows in, one score per row out (the config's probability index or attribute).</summary>
    private sealed class EndpointPredictor(ClarifyInferenceSpec? inference, string accept, ModelCall model) : IBatchPredictor
    {
        private const int BytesPerMB = 1024 * 1024;

        public async Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken)
        {
            var maxRecords = inference?.MaxRecordCount ?? int.MaxValue;
            var maxBytes = (inference?.MaxPayloadInMB ?? 6) * BytesPerMB;
            var scores = new List<double>(rows.Count);
            var batch = new StringBuilder();
            var inBatch = 0;
            foreach (var row in rows)
            {
                var line = CsvLine(row);
                if (inBatch > 0 && (inBatch >= maxRecords || batch.Length + line.Length > maxBytes))
                {
                    scores.AddRange(await ScoreAsync(batch, inBatch, cancellationToken).ConfigureAwait(false));
                    batch.Clear();
                    inBatch = 0;
                }

                batch.Append(line);
                inBatch++;
            }

            if (inBatch > 0)
            {
                scores.AddRange(await ScoreAsync(batch, inBatch, cancellationToken).ConfigureAwait(false));
            }

            return [.. scores];
        }

        private async Task<IEnumerable<double>> ScoreAsync(StringBuilder batch, int count, CancellationToken ct)
        {
            var answer = await model(Encoding.UTF8.GetBytes(batch.ToString()), accept, ct).ConfigureAwait(false);
            var records = ModelRecords.Read(answer.Body, answer.ContentType);
            if (records.Count != count)
            {
                throw KilnException.InvalidParameter($"The model answered {records.Count} records for {count} synthetic records.");
            }

            return records.Select(Score);
        }

        private double Score(JsonNode? record)
        {
            var value = record switch
            {
                JsonArray array => array.Count == 1 ? array[0] : At(array, inference?.ProbabilityIndex ?? 0),
                JsonObject obj => obj[inference?.ProbabilityAttribute ?? "score"],
                _ => record,
            };
            return value is JsonValue number && number.GetValueKind() == JsonValueKind.Number
                ? number.GetValue<double>()
                : throw KilnException.InvalidParameter(
                    $"Cannot read a score from the model's record {record?.ToJsonString() ?? "null"}: set InferenceConfig.ProbabilityIndex (CSV) or ProbabilityAttribute (JSON Lines).");
        }

        private static JsonNode? At(JsonArray array, int index) => index < array.Count ? array[index] : null;

        private static string CsvLine(string?[] row)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    line.Append(',');
                }

                var cell = row[i] ?? "";
                line.Append(cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell);
            }

            return line.Append('\n').ToString();
        }
    }
}

/// <summary>A model's answer as Clarify reads it, one JSON value per record: a CSV line is an array of its fields (numbers where they parse), a JSON Lines line an object.</summary>
internal static class ModelRecords
{
    public static IReadOnlyList<JsonNode?> Read(ReadOnlyMemory<byte> body, string contentType)
    {
        var media = Payloads.MediaType(contentType);
        var text = Encoding.UTF8.GetString(body.Span);
        try
        {
            if (media == Payloads.JsonLines)
            {
                return [.. text.Split('\n').Where(line => line.Trim().Length > 0).Select(line => JsonNode.Parse(line))];
            }

            if (media == Payloads.Json)
            {
                // Kiln's built-in answer {"predictions": [...]}: one record per prediction.
                return JsonNode.Parse(text) is JsonObject { } answer && answer["predictions"] is JsonArray predictions
                    ? [.. predictions.Select(p => p?.DeepClone())]
                    : throw KilnException.InvalidParameter("Kiln reads a JSON answer's records from its \"predictions\" array.");
            }
        }
        catch (JsonException e)
        {
            throw KilnException.InvalidParameter($"The model's {media} answer is not valid JSON: {e.Message}");
        }

        var records = new List<JsonNode?>();
        using var reader = CsvReader.FromText(text, ragged: true);
        while (reader.Read())
        {
            var record = new JsonArray();
            foreach (var cell in reader.ToStrings())
            {
                record.Add(double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(cell));
            }

            records.Add(record);
        }

        return records;
    }
}
