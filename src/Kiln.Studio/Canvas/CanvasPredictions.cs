using System.Globalization;
using System.Text;
using Kiln.AutoML.Data;
using Kiln.Core.AutoML;
using Kiln.Core.Training;
using Kiln.Serving.Models;
using Kiln.Training.Algorithms;
using Kiln.Training.Data;

namespace Kiln.Studio.Canvas;

/// <summary>A feature column of an AutoML job's data, as the prediction form asks for it.</summary>
public sealed record FeatureColumn(string Name, bool Numeric, IReadOnlyList<string> Choices);

/// <summary>A single answer: the label (or number) and, for classes, how sure the model is of it.</summary>
public sealed record Prediction(string Answer, double? Probability);

/// <summary>
/// Predictions with an AutoML job's best candidate, in process: its model (the refit one when there is one) is unpacked
/// and loaded by the same <see cref="ModelLoader"/> endpoints and batch transform use, and is given raw cells in the order
/// of the job's columns without the target, as the candidates were scored.
/// </summary>
public sealed class CanvasPredictions(ModelLoader loader, AutoMLData data, AutoMLWorkspace workspace)
{
    private const int MaxChoices = 30;

    /// <summary>The job's feature columns (its data's columns but the target), read from the data it trained on.</summary>
    public async Task<IReadOnlyList<FeatureColumn>> ColumnsAsync(AutoMLJob job, CancellationToken ct)
    {
        var table = await data.ReadAsync(job.Spec.TrainingDataUri, job.Spec.ContentType, job.Spec.TargetColumn, workspace.Root, ct);
        return table.Columns.Select((name, c) => (name, c)).Where(pair => pair.name != job.Spec.TargetColumn).Select(pair =>
        {
            var numeric = table.Rows.All(row => row[pair.c] is null or double);
            var choices = numeric ? [] : table.Rows.Select(row => TableProfile.Text(row[pair.c])).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(MaxChoices + 1).ToList();
            return new FeatureColumn(pair.name, numeric, choices.Count > MaxChoices ? [] : choices);
        }).ToList();
    }

    /// <summary>Predicts one row given as text per column (missing or blank cells are missing values).</summary>
    public async Task<Prediction> PredictAsync(AutoMLJob job, IReadOnlyList<FeatureColumn> columns, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        var row = new FeatureRow(null, Cells: columns.Select(column => Cell(values.GetValueOrDefault(column.Name))).ToArray());
        using var predictor = await LoadAsync(job, ct);
        return Answer(predictor.Predict([row])[0]);
    }

    /// <summary>
    /// Predicts every row of a CSV and writes it back with two more columns: predicted_{target} and its probability.
    /// The CSV must have the job's feature columns (in any order); a target column, if present, is kept and ignored.
    /// </summary>
    public async Task<string> PredictCsvAsync(AutoMLJob job, Stream csv, CancellationToken ct)
    {
        var directory = Path.Combine(workspace.Root, "studio-batch", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using (var file = File.Create(Path.Combine(directory, "input.csv")))
            {
                await csv.CopyToAsync(file, ct);
            }

            var channel = new TrainingChannel("input", directory, "text/csv;header=present");
            var table = await ChannelReader.ReadAsync(channel, DataLayout.For(channel, null), ct);
            var features = (await ColumnsAsync(job, ct)).Select(column => column.Name).ToList();
            var missing = features.Where(name => table.ColumnIndex(name) < 0).ToList();
            if (missing.Count > 0)
            {
                throw Core.Common.KilnException.InvalidParameter($"The file lacks the column(s) {string.Join(", ", missing)} the model was trained with.");
            }

            var indices = features.Select(table.ColumnIndex).ToArray();
            using var predictor = await LoadAsync(job, ct);
            var predictions = predictor.Predict(table.Rows.Select(row => new FeatureRow(null, Cells: indices.Select(i => row[i]).ToArray())).ToList());
            var output = new StringBuilder();
            output.AppendJoin(',', table.Columns.Append($"predicted_{job.Spec.TargetColumn}").Append("probability").Select(Quote)).Append('\n');
            for (var r = 0; r < table.Rows.Count; r++)
            {
                var answer = Answer(predictions[r]);
                output.AppendJoin(',', table.Rows[r].Select(cell => Quote(TableProfile.Text(cell) ?? ""))
                    .Append(Quote(answer.Answer))
                    .Append(answer.Probability is { } p ? p.ToString("0.####", CultureInfo.InvariantCulture) : "")).Append('\n');
            }

            return output.ToString();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<IPredictor> LoadAsync(AutoMLJob job, CancellationToken ct)
    {
        var best = job.Best ?? throw Core.Common.KilnException.InvalidParameter($"The AutoML job {job.Name} has no best candidate to predict with yet.");
        var url = best.ServingModelDataUrl ?? throw Core.Common.KilnException.InvalidParameter($"The best candidate {best.Name} has no model.");
        // One folder per model URL: the refit model replaces the scored one once it exists.
        var folder = Path.Combine("studio", job.Name, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..16]);
        var directory = await loader.PrepareAsync(folder, url, ct);
        return loader.Load(directory);
    }

    private static Prediction Answer(PredictionRow prediction)
    {
        if (prediction.Label is { } label)
        {
            var probability = prediction.Probabilities is { Count: > 0 } probabilities ? probabilities.Max() : (double?)null;
            return new Prediction(label, probability);
        }

        return new Prediction(prediction.Value.ToString("G6", CultureInfo.InvariantCulture), null);
    }

    private static object? Cell(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : text.Trim();

    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
