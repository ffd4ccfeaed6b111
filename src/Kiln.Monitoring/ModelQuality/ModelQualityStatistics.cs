using System.Text.Json;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>A metric with the standard deviation over five 80 % samples (NaN below 200 records), as Model Monitor.</summary>
public sealed record Metric(double Value, double StandardDeviation);

/// <summary>One label (or value) and the model's prediction for it.</summary>
/// <param name="Probability">The binary score, when the model gives one.</param>
public sealed record LabeledPrediction(string Actual, string Predicted, double? Probability = null);

public sealed record Curve(IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>The content of a model-quality statistics.json.</summary>
public sealed record ModelQualityStatistics(
    ProblemType ProblemType,
    long ItemCount,
    OrderedDictionary<string, Metric> Metrics,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>? ConfusionMatrix,
    Curve? RocCurve,
    Curve? PrecisionRecallCurve)
{
    public string MetricsKey => ProblemType switch
    {
        ProblemType.BinaryClassification => "binary_classification_metrics",
        ProblemType.MulticlassClassification => "multiclass_classification_metrics",
        _ => "regression_metrics",
    };

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 0.0);
            w.WriteStartObject("dataset");
            w.WriteNumber("item_count", ItemCount);
            w.WriteEndObject();
            w.WriteStartObject(MetricsKey);
            if (ConfusionMatrix is { } matrix)
            {
                w.WriteStartObject("confusion_matrix");
                foreach (var (actual, row) in matrix)
                {
                    w.WriteStartObject(actual);
                    foreach (var (predicted, count) in row)
                    {
                        w.WriteNumber(predicted, count);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            foreach (var (name, metric) in Metrics)
            {
                if (name == "auc")
                {
                    WriteCurves(w);
                }

                w.WriteStartObject(name);
                JsonNumbers.Write(w, "value", metric.Value);
                JsonNumbers.Write(w, "standard_deviation", metric.StandardDeviation);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private void WriteCurves(Utf8JsonWriter w)
    {
        if (RocCurve is { } roc)
        {
            w.WriteStartObject("receiver_operating_characteristic_curve");
            Numbers(w, "false_positive_rates", roc.X);
            Numbers(w, "true_positive_rates", roc.Y);
            w.WriteEndObject();
        }

        if (PrecisionRecallCurve is { } pr)
        {
            w.WriteStartObject("precision_recall_curve");
            Numbers(w, "precisions", pr.Y);
            Numbers(w, "recalls", pr.X);
            w.WriteEndObject();
        }
    }

    private static void Numbers(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteNumberValue(value);
        }

        w.WriteEndArray();
    }
}
