using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Clarify.Config;
using Kiln.Clarify.Explainability;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// Scores rows on a Kiln endpoint (or a model loaded in-process) the way Clarify does: the rows as a text/csv batch (split so no request is larger
/// than SageMaker's 6 MB payload), one score per row back, read from CSV (the <c>probability</c> or <c>label</c>
/// column when the predictor names one, else the first) or from JSON (numbers, or objects with a score).
/// </summary>
internal sealed class EndpointPredictor(EndpointPredictor.Invoke invoke, string endpoint, PredictorConfig? predictor) : IBatchPredictor
{
    /// <summary>Sends one request body to the model, returns its answer and content type.</summary>
    public delegate ValueTask<(ReadOnlyMemory<byte> Body, string ContentType)> Invoke(ReadOnlyMemory<byte> body, string contentType, string accept, CancellationToken ct);

    public EndpointPredictor(IEndpointInvoker endpoints, string endpoint, PredictorConfig? predictor)
        : this(async (body, contentType, accept, ct) =>
        {
            var result = await endpoints.InvokeAsync(new InvocationRequest(endpoint, body, contentType, accept), ct).ConfigureAwait(false);
            return (result.Body, result.ContentType);
        }, endpoint, predictor)
    {
    }

    /// <summary>A model registered with CreateModel and loaded in-process (predictor.model_name).</summary>
    public EndpointPredictor(ILoadedModel model, string modelName, PredictorConfig? predictor)
        : this((body, contentType, accept, ct) => model.InvokeAsync(body, contentType, accept, ct), modelName, predictor)
    {
    }

    private const int MaxBatchBytes = 5 * 1024 * 1024;

    public async Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken)
    {
        var scores = new List<double>(rows.Count);
        var batch = new StringBuilder();
        var inBatch = 0;
        foreach (var row in rows)
        {
            var line = string.Join(',', row.Select(Quote));
            if (inBatch > 0 && batch.Length + line.Length + 1 > MaxBatchBytes)
            {
                scores.AddRange(await ScoreAsync(batch.ToString(), inBatch, cancellationToken).ConfigureAwait(false));
                batch.Clear();
                inBatch = 0;
            }

            batch.Append(line).Append('\n');
            inBatch++;
        }

        if (inBatch > 0)
        {
            scores.AddRange(await ScoreAsync(batch.ToString(), inBatch, cancellationToken).ConfigureAwait(false));
        }

        return [.. scores];
    }

    private async Task<IReadOnlyList<double>> ScoreAsync(string csv, int expected, CancellationToken ct)
    {
        (ReadOnlyMemory<byte> Body, string ContentType) result;
        try
        {
            result = await invoke(Encoding.UTF8.GetBytes(csv), predictor?.ContentType ?? "text/csv", predictor?.AcceptType ?? "text/csv", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KilnException or ModelInvocationException)
        {
            throw new Core.Processing.BuiltInProcessingException($"ClientError: the predictor {endpoint} refused the request: {e.Message}");
        }

        var body = Encoding.UTF8.GetString(result.Body.Span);
        var scores = result.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? FromJson(body) : FromCsv(body);
        return scores.Count == expected
            ? scores
            : throw new Core.Processing.BuiltInProcessingException($"ClientError: the endpoint {endpoint} answered {scores.Count} predictions for {expected} rows.");
    }

    private List<double> FromCsv(string body)
    {
        var column = predictor?.Probability?.Index ?? predictor?.Label?.Index ?? 0;
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(','))
            .Select(cells => Number(cells[Math.Min(column, cells.Length - 1)]))
            .ToList();
    }

    private List<double> FromJson(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var items = root.ValueKind == JsonValueKind.Array ? root
            : root.TryGetProperty("predictions", out var predictions) ? predictions
            : throw new Core.Processing.BuiltInProcessingException($"ClientError: the endpoint {endpoint} answered JSON without predictions.");
        var key = predictor?.Probability?.Name ?? predictor?.Label?.Name;
        return items.EnumerateArray().Select(item => item.ValueKind switch
        {
            JsonValueKind.Number => item.GetDouble(),
            JsonValueKind.Object when key is not null && item.TryGetProperty(key, out var named) => Value(named),
            JsonValueKind.Object when item.TryGetProperty("score", out var score) => Value(score),
            JsonValueKind.Object when item.TryGetProperty("predicted_label", out var label) => Value(label),
            _ => throw new Core.Processing.BuiltInProcessingException($"ClientError: the endpoint {endpoint} answered a prediction Kiln cannot read as a score: {item}"),
        }).ToList();
    }

    private double Value(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? element.GetDouble() : Number(element.ToString());

    private double Number(string text) =>
        double.TryParse(text.Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new Core.Processing.BuiltInProcessingException($"ClientError: the endpoint {endpoint} answered '{text}', not a number.");

    private static string Quote(string? cell) =>
        cell is null ? "" : cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
}
