using System.Globalization;
using Kiln.Clarify.Bias;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;
using Kiln.Clarify.Explainability;

namespace Kiln.Clarify;

/// <summary>What the caller supplies beyond the config and the data.</summary>
public sealed record ClarifyRunOptions
{
    /// <summary>The model (endpoint or hosted model) the predictor section names; needed for shap and for post-training bias without a predicted_label column.</summary>
    public IBatchPredictor? Predictor { get; init; }

    /// <summary>Baseline rows when the config's baseline is a URI (the caller downloads it); inline rows in the config win otherwise.</summary>
    public IReadOnlyList<IReadOnlyList<string?>>? Baseline { get; init; }
}

/// <summary>The results of every configured method; a method not configured is null.</summary>
public sealed record AnalysisResult(BiasReport? PreTraining, BiasReport? PostTraining, ShapReport? Shap);

/// <summary>Runs the analyses an analysis_config.json asks for on a dataset.</summary>
public static class ClarifyAnalysis
{
    public static async Task<AnalysisResult> RunAsync(AnalysisConfig config, ClarifyDataset data, ClarifyRunOptions options, CancellationToken cancellationToken)
    {
        var methods = config.Methods;
        var pre = methods.PreTrainingBias is null ? null : BiasAnalyzer.PreTraining(config, data);
        BiasReport? post = null;
        if (methods.PostTrainingBias is not null)
        {
            post = config.PredictedLabel is not null
                ? BiasAnalyzer.PostTraining(config, data)
                : await PostTrainingFromModel(config, data, RequirePredictor(options, "post_training_bias"), cancellationToken);
        }
        var shap = methods.Shap is null ? null : await Explain(config, data, methods.Shap, RequirePredictor(options, "shap"), options.Baseline, cancellationToken);
        return new AnalysisResult(pre, post, shap);
    }

    /// <summary>
    /// The whole processing job in one call: parse analysis_config.json, read the dataset in its dataset_type, run
    /// every configured method and write the outputs (analysis.json, report, local SHAP values) into
    /// <paramref name="outputDirectory"/>. Anything the config or data make impossible is a ClarifyValidationException.
    /// </summary>
    public static async Task<AnalysisResult> RunToDirectoryAsync(string analysisConfigJson, TextReader dataset, string outputDirectory,
        ClarifyRunOptions options, CancellationToken cancellationToken)
    {
        var config = AnalysisConfigParser.Parse(analysisConfigJson);
        var data = DatasetReader.Read(config, dataset);
        var result = await RunAsync(config, data, options, cancellationToken);
        await Reports.ClarifyOutput.WriteAsync(outputDirectory, config, result, cancellationToken);
        return result;
    }

    /// <summary>The feature columns: everything but the label, the predicted label and excluded_columns.</summary>
    public static IReadOnlyList<DataColumn> FeatureColumns(AnalysisConfig config, ClarifyDataset data)
    {
        var skip = new HashSet<DataColumn>();
        if (config.Label is { } label)
        {
            skip.Add(data.Column(label, "label"));
        }
        if (config.PredictedLabel is { } predicted)
        {
            skip.Add(data.Column(predicted, "predicted_label"));
        }
        foreach (var excluded in config.ExcludedColumns)
        {
            skip.Add(data.Column(excluded, "excluded_columns"));
        }
        return [.. data.Columns.Where(c => !skip.Contains(c))];
    }

    public static string?[][] FeatureRows(IReadOnlyList<DataColumn> columns, int rowCount) =>
        [.. Enumerable.Range(0, rowCount).Select(r => columns.Select(c => c.Cells[r]).ToArray())];

    private static IBatchPredictor RequirePredictor(ClarifyRunOptions options, string method) =>
        options.Predictor ?? throw new ClarifyValidationException($"{method} needs the model: no predictor was supplied.");

    /// <summary>
    /// With probability_threshold (or a probability field) the model's score above the threshold (default 0.5) is a
    /// positive prediction; otherwise the scores are the predicted labels and go through label_values_or_threshold.
    /// </summary>
    private static async Task<BiasReport> PostTrainingFromModel(AnalysisConfig config, ClarifyDataset data, IBatchPredictor predictor, CancellationToken ct)
    {
        var columns = FeatureColumns(config, data);
        var scores = await predictor.PredictAsync(FeatureRows(columns, data.RowCount), ct);
        if (scores.Length != data.RowCount)
        {
            throw new ClarifyValidationException($"The model returned {scores.Length} predictions for {data.RowCount} rows.");
        }
        if (config.ProbabilityThreshold is not null || config.Predictor?.Probability is not null)
        {
            var threshold = config.ProbabilityThreshold ?? 0.5;
            return BiasAnalyzer.PostTraining(config, data, [.. scores.Select(s => s > threshold)]);
        }
        var label = data.Column(config.Label!.Value, "label");
        var predictedColumn = new DataColumn("predicted_label", [.. scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture))]);
        return BiasAnalyzer.PostTraining(config, data, LabelSelection.Predicted(predictedColumn, label, config.LabelValuesOrThreshold!));
    }

    private static async Task<ShapReport> Explain(AnalysisConfig config, ClarifyDataset data, ShapConfig shap, IBatchPredictor predictor,
        IReadOnlyList<IReadOnlyList<string?>>? suppliedBaseline, CancellationToken ct)
    {
        var columns = FeatureColumns(config, data);
        var rows = FeatureRows(columns, data.RowCount);
        var baseline = shap.BaselineRows ?? suppliedBaseline;
        string?[][] baselineRows;
        if (baseline is not null)
        {
            baselineRows = [.. baseline.Select(r => r.ToArray())];
            if (baselineRows.Any(r => r.Length != columns.Count))
            {
                throw new ClarifyValidationException(
                    $"methods.shap.baseline rows must have one value per feature: {columns.Count} ({string.Join(", ", columns.Select(c => c.Name))}).");
            }
        }
        else if (shap.BaselineUri is not null)
        {
            throw new ClarifyValidationException($"The baseline at {shap.BaselineUri} was not provided to the analysis.");
        }
        else
        {
            baselineRows = [SummaryBaseline(columns)];
        }
        var explainer = new KernelShap(predictor, new KernelShapOptions(shap.NumSamples, shap.Seed ?? 0, shap.UseLogit));
        var values = await explainer.ExplainAsync(rows, baselineRows, ct);
        var label = config.Predictor?.LabelHeaders is { Count: > 0 } headers ? headers[0] : "label0";
        return new ShapReport(label, [.. columns.Select(c => c.Name)], values.ExpectedValue, GlobalShap.Aggregate(values.Values, shap.AggMethod), values);
    }

    /// <summary>
    /// Without a baseline Clarify clusters the data (k-means / k-prototypes); Kiln uses one row: the mean of each
    /// numeric feature and the most frequent value of each other feature.
    /// </summary>
    private static string?[] SummaryBaseline(IReadOnlyList<DataColumn> columns) =>
        [.. columns.Select(c => c.IsNumeric
            ? c.Numbers.Where(n => !double.IsNaN(n)).DefaultIfEmpty(0).Average().ToString("R", CultureInfo.InvariantCulture)
            : c.Cells.Where(x => x is not null).GroupBy(x => x).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault())];
}
