using System.Diagnostics;
using Kiln.AutoML.Data;
using Kiln.Core.AutoML;
using Kiln.Core.Training;
using Kiln.Serving.Models;
using Kiln.Training.Algorithms;
using Kiln.Training.Data;

namespace Kiln.AutoML.Evaluation;

/// <summary>The validation rows as a model takes them (raw cells without the target, or the text), and the truth.</summary>
public sealed class ValidationSet
{
    public ValidationSet(RawTable table, string target, string? textColumn)
    {
        var targetIndex = table.ColumnIndex(target);
        var textIndex = textColumn is null ? -1 : table.ColumnIndex(textColumn);
        Columns = table.Columns.Where((_, c) => c != targetIndex).ToList();
        Rows = table.Rows.Select(row => textIndex >= 0
            ? new FeatureRow(null, Text: row[textIndex]?.ToString() ?? "")
            : new FeatureRow(null, Cells: row.Where((_, c) => c != targetIndex).ToArray())).ToList();
        Labels = table.Rows.Select(row => TableProfile.Text(row[targetIndex]) ?? "").ToList();
        Values = table.Rows.Select(row => row[targetIndex] as double? ?? double.NaN).ToList();
    }

    private ValidationSet(IReadOnlyList<string> columns, IReadOnlyList<FeatureRow> rows, IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        Columns = columns;
        Rows = rows;
        Labels = labels;
        Values = values;
    }

    /// <summary>The feature columns, in the order each row's cells come.</summary>
    public IReadOnlyList<string> Columns { get; }

    public IReadOnlyList<FeatureRow> Rows { get; }

    public IReadOnlyList<string> Labels { get; }

    public IReadOnlyList<double> Values { get; }

    public bool IsText => Rows.Count > 0 && Rows[0].Text is not null;

    /// <summary>The rows at <paramref name="indices"/>, repeats allowed (a bootstrap resample).</summary>
    public ValidationSet Resampled(IReadOnlyList<int> indices) =>
        new(Columns, indices.Select(i => Rows[i]).ToList(), indices.Select(i => Labels[i]).ToList(), indices.Select(i => Values[i]).ToList());

    /// <summary>The same rows with one column's values shuffled among them (for permutation importance).</summary>
    public ValidationSet Permuted(int column, Random random)
    {
        var values = Rows.Select(row => row.Cells![column]).ToArray();
        random.Shuffle(values);
        var rows = Rows.Select((row, i) =>
        {
            var cells = row.Cells!.ToArray();
            cells[column] = values[i];
            return row with { Cells = cells };
        }).ToList();
        return new ValidationSet(Columns, rows, Labels, Values);
    }
}

/// <summary>What a candidate's model predicted for the validation rows, and the standard metrics of those predictions.</summary>
public sealed record CandidateScore(IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<PredictionRow> Predictions, IReadOnlyList<string>? Classes);

/// <summary>
/// Scores candidates the way they will serve: their model.tar.gz is unpacked and loaded as an endpoint loads it,
/// and predicts the validation rows. Every candidate, whatever its algorithm, is measured by the same metrics.
/// </summary>
public sealed class CandidateEvaluator(ModelLoader loader)
{
    /// <summary>The candidate's model, unpacked once into the workspace (<paramref name="Directory"/>), loaded, with its classes.</summary>
    public async Task<(IPredictor Predictor, IReadOnlyList<string>? Classes, string Directory)> LoadAsync(string candidate, string modelDataUrl, CancellationToken ct)
    {
        var directory = await UnpackAsync(candidate, modelDataUrl, ct).ConfigureAwait(false);
        var classes = ModelDirectory.IsPackage(directory) ? ModelDirectory.ReadManifest(directory).Encoder?.Classes : null;
        return (loader.Load(directory), classes, directory);
    }

    /// <summary>The candidate's model.tar.gz unpacked into the workspace (once), without loading it.</summary>
    public Task<string> UnpackAsync(string candidate, string modelDataUrl, CancellationToken ct) =>
        loader.PrepareAsync(Path.Combine("automl", candidate), modelDataUrl, ct);

    public async Task<CandidateScore> ScoreAsync(string candidate, string modelDataUrl, ValidationSet validation, AutoMLProblemType problem, CancellationToken ct)
    {
        var (predictor, classes, _) = await LoadAsync(candidate, modelDataUrl, ct).ConfigureAwait(false);
        using (predictor)
        {
            return Score(predictor, classes, validation, problem);
        }
    }

    public static CandidateScore Score(IPredictor predictor, IReadOnlyList<string>? classes, ValidationSet validation, AutoMLProblemType problem)
    {
        var clock = Stopwatch.StartNew();
        // Rows one at a time, as an endpoint most often gets them, so the latency is an invocation's.
        var predictions = validation.Rows.Select(row => predictor.Predict([row])[0]).ToList();
        var latency = clock.Elapsed.TotalSeconds / Math.Max(1, predictions.Count);
        var metrics = Metrics(predictions, classes, validation, problem);
        metrics["InferenceLatency"] = latency;
        return new CandidateScore(metrics, predictions, classes);
    }

    public static Dictionary<string, double> Metrics(IReadOnlyList<PredictionRow> predictions, IReadOnlyList<string>? classes, ValidationSet validation, AutoMLProblemType problem) =>
        problem == AutoMLProblemType.Regression
            ? StandardMetrics.Regression(validation.Values, predictions.Select(p => p.Value).ToList())
            : StandardMetrics.Classification(
                classes ?? validation.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                validation.Labels,
                predictions.Select(p => p.Label).ToList(),
                predictions.Select(p => p.Probabilities).ToList());

    /// <summary>
    /// Permutation importance: how much the objective worsens when one column's values are shuffled among the rows
    /// (mean of <paramref name="repeats"/> shuffles), for every column. Model-agnostic, on the validation rows.
    /// </summary>
    public static IReadOnlyList<(string Column, double Importance)> Importance(IPredictor predictor, IReadOnlyList<string>? classes, ValidationSet validation,
        AutoMLProblemType problem, AutoMLObjective objective, int repeats = 3, int seed = 0)
    {
        double Loss(ValidationSet set) => StandardMetrics.Loss(objective, Metrics(predictor.Predict(set.Rows), classes, set, problem).GetValueOrDefault(objective.MetricName, double.NaN));

        var baseline = Loss(validation);
        var random = new Random(seed);
        var result = new List<(string, double)>();
        for (var c = 0; c < validation.Columns.Count; c++)
        {
            var worse = 0.0;
            for (var r = 0; r < repeats; r++)
            {
                worse += Loss(validation.Permuted(c, random)) - baseline;
            }

            result.Add((validation.Columns[c], worse / repeats));
        }

        return result.OrderByDescending(pair => pair.Item2).ToList();
    }
}
