using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Bias;

/// <summary>
/// Computes pre- or post-training bias metrics for every facet of the config, as Clarify does: a metric that cannot
/// be computed for one group is reported with its error, while a config the data cannot satisfy fails the analysis.
/// </summary>
public static class BiasAnalyzer
{
    public static BiasReport PreTraining(AnalysisConfig config, ClarifyDataset data)
    {
        var methods = config.Methods.PreTrainingBias ?? throw new ClarifyValidationException("methods.pre_training_bias is not configured.");
        return Run(config, data, BiasMetric.Select(methods, BiasStage.PreTraining), predicted: null);
    }

    /// <summary>
    /// Post-training metrics. Predicted labels come from the config's predicted_label column, else from
    /// <paramref name="predictedPositive"/> (true = positive prediction, e.g. the model's probability above
    /// probability_threshold).
    /// </summary>
    public static BiasReport PostTraining(AnalysisConfig config, ClarifyDataset data, IReadOnlyList<bool>? predictedPositive = null)
    {
        var methods = config.Methods.PostTrainingBias ?? throw new ClarifyValidationException("methods.post_training_bias is not configured.");
        var label = data.Column(RequireLabel(config), "label");
        bool[] predicted;
        if (config.PredictedLabel is { } column)
        {
            predicted = LabelSelection.Predicted(data.Column(column, "predicted_label"), label, config.LabelValuesOrThreshold!);
        }
        else if (predictedPositive is not null)
        {
            if (predictedPositive.Count != data.RowCount)
            {
                throw new ClarifyValidationException($"Got {predictedPositive.Count} predictions for {data.RowCount} dataset rows.");
            }
            predicted = [.. predictedPositive];
        }
        else
        {
            throw new ClarifyValidationException("post_training_bias needs predicted labels: a predicted_label column or the model's predictions.");
        }
        return Run(config, data, BiasMetric.Select(methods, BiasStage.PostTraining), predicted);
    }

    private static ColumnRef RequireLabel(AnalysisConfig config) =>
        config.Label ?? throw new ClarifyValidationException("label is required for bias analysis.");

    private static BiasReport Run(AnalysisConfig config, ClarifyDataset data, IReadOnlyList<BiasMetric> metrics, bool[]? predicted)
    {
        var label = data.Column(RequireLabel(config), "label");
        var values = config.LabelValuesOrThreshold is { Count: > 0 } v
            ? v
            : throw new ClarifyValidationException("label_values_or_threshold is required for bias analysis.");
        var observed = LabelSelection.Observed(label, values);
        var groups = config.GroupVariable is { } g ? GroupIds(data.Column(g, "group_variable")) : null;
        var predictedColumn = config.PredictedLabel is { } p ? data.Column(p, "predicted_label") : null;
        var excluded = config.ExcludedColumns.Select(c => data.Column(c, "excluded_columns")).ToList();
        var facets = new List<FacetResult>();
        foreach (var facetConfig in config.Facets)
        {
            var facet = data.Column(facetConfig.Column, "facet");
            if (ReferenceEquals(facet, label))
            {
                throw new ClarifyValidationException($"Facet '{facet.Name}' is the label column.");
            }
            var (features, featureError) = FlipFeatures(data, [facet, label, predictedColumn, .. excluded]);
            var results = new List<FacetValueResult>();
            foreach (var (text, rows) in FacetSelection.Groups(facet, facetConfig.ValueOrThreshold))
            {
                bool[]? sensitive = null;
                string? selectionError = null;
                try
                {
                    sensitive = rows();
                }
                catch (BiasMetricException e)
                {
                    selectionError = e.Message;
                }
                var input = new MetricInput(sensitive, observed.Positive, predicted, groups, features, featureError);
                results.Add(new FacetValueResult(text, [.. metrics.Select(m => selectionError is null
                    ? Compute(m, input)
                    : new MetricResult(m.Name, m.Description, null, selectionError))]));
            }
            facets.Add(new FacetResult(facet.Name, results));
        }
        return new BiasReport(label.Name, observed.ValueOrThreshold, facets);
    }

    private sealed record MetricInput(bool[]? Facet, bool[] Label, bool[]? Predicted, int[]? Groups, double[][]? Features, string? FeatureError);

    private static MetricResult Compute(BiasMetric metric, MetricInput x)
    {
        try
        {
            var f = x.Facet!;
            var y = x.Label;
            var yHat = x.Predicted ?? [];
            var value = metric.Name switch
            {
                "CI" => PreTrainingMetrics.CI(f),
                "DPL" => PreTrainingMetrics.DPL(f, y),
                "KL" => PreTrainingMetrics.KL(f, y),
                "JS" => PreTrainingMetrics.JS(f, y),
                "LP" => PreTrainingMetrics.LP(f, y),
                "TVD" => PreTrainingMetrics.TVD(f, y),
                "KS" => PreTrainingMetrics.KS(f, y),
                "CDDL" => PreTrainingMetrics.CDD(f, y, x.Groups),
                "DPPL" => PostTrainingMetrics.DPPL(f, yHat),
                "DI" => PostTrainingMetrics.DI(f, yHat),
                "DCA" => PostTrainingMetrics.DCA(f, y, yHat),
                "DCR" => PostTrainingMetrics.DCR(f, y, yHat),
                "RD" => PostTrainingMetrics.RD(f, y, yHat),
                "SD" => PostTrainingMetrics.SD(f, y, yHat),
                "DAR" => PostTrainingMetrics.DAR(f, y, yHat),
                "DRR" => PostTrainingMetrics.DRR(f, y, yHat),
                "AD" => PostTrainingMetrics.AD(f, y, yHat),
                "TE" => PostTrainingMetrics.TE(f, y, yHat),
                "CDDPL" => PostTrainingMetrics.CDDPL(f, yHat, x.Groups),
                "FT" => FlipTest.FT(f, yHat, x.Features, x.FeatureError),
                "GE" => PostTrainingMetrics.GE(y, yHat),
                _ => throw new BiasMetricException($"Metric {metric.Name} is not implemented."),
            };
            return new MetricResult(metric.Name, metric.Description, value);
        }
        catch (BiasMetricException e)
        {
            return new MetricResult(metric.Name, metric.Description, null, e.Message);
        }
    }

    /// <summary>The group id of each row (-1 when missing), for the conditional demographic disparity metrics.</summary>
    private static int[] GroupIds(DataColumn column)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new int[column.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (column.IsMissing(i))
            {
                result[i] = -1;
                continue;
            }
            var key = column.IsNumeric ? column.Numbers[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture) : column.Cells[i]!;
            if (!ids.TryGetValue(key, out var id))
            {
                id = ids.Count;
                ids[key] = id;
            }
            result[i] = id;
        }
        return result;
    }

    /// <summary>The Flip Test's feature rows: every other column, which must all be numeric and complete.</summary>
    private static (double[][]? Rows, string? Error) FlipFeatures(ClarifyDataset data, IEnumerable<DataColumn?> leftOut)
    {
        var skip = leftOut.Where(c => c is not null).ToHashSet();
        var columns = data.Columns.Where(c => !skip.Contains(c)).ToList();
        if (columns.Any(c => !c.IsNumeric))
        {
            return (null, "FlipTest does not support non-numeric columns");
        }
        if (columns.Any(c => c.Numbers.Any(double.IsNaN)))
        {
            return (null, "FlipTest does not support missing values (Input contains NaN)");
        }
        return ([.. Enumerable.Range(0, data.RowCount).Select(r => columns.Select(c => c.Numbers[r]).ToArray())], null);
    }
}
