using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Monitoring.ModelQuality;

namespace Kiln.Monitoring.Tests;

public sealed class ModelQualityTests
{
    private static readonly ModelQualityConfig Binary = new(ProblemType.BinaryClassification);

    [Fact]
    public void Binary_metrics_merge_ground_truth_by_inference_id_or_event_id()
    {
        // Scores 0.9, 0.8, 0.7, 0.2 for labels 1, 0, 0, 0: at threshold 0.5, tp 1, fp 2, tn 1, fn 0.
        var capture = string.Join('\n',
            StatisticsTests.Capture("1,2", "text/csv", "CSV", inferenceId: "i-1", output: "0.9"),
            StatisticsTests.Capture("3,4", "text/csv", "CSV", inferenceId: "i-2", output: "0.8"),
            StatisticsTests.Capture("5,6", "text/csv", "CSV", output: "0.7", eventId: "e-3"),
            StatisticsTests.Capture("7,8", "text/csv", "CSV", inferenceId: "i-4", output: "0.2"),
            StatisticsTests.Capture("9,9", "text/csv", "CSV", inferenceId: "i-5", output: "0.6"));
        var truth = string.Join('\n', Truth("i-1", "1"), Truth("i-2", "0"), Truth("e-3", "0"), Truth("i-4", "0"), Truth("i-9", "1"));

        var result = ModelQualityMonitor.Analyze([Data.Text(capture)], [Data.Text(truth)], Binary);

        Assert.Equal((4, 1, 1), (result.Matched, result.GroundTruthWithoutInference, result.InferencesWithoutGroundTruth));
        var m = result.Statistics.Metrics;
        Assert.Equal(1.0, m["recall"].Value, 12);
        Assert.Equal(1.0 / 3, m["precision"].Value, 12);
        Assert.Equal(0.5, m["accuracy"].Value, 12);
        Assert.Equal(1.0 / 3, m["true_negative_rate"].Value, 12);
        Assert.Equal(2.0 / 3, m["false_positive_rate"].Value, 12);
        Assert.Equal(0.0, m["false_negative_rate"].Value, 12);
        Assert.Equal(1.0, m["auc"].Value, 12);
        Assert.Equal(0.5, m["f1"].Value, 12);
        Assert.Equal(5.0 / 7, m["f2"].Value, 12);
        Assert.Equal(0.3846153846153846, m["f0_5"].Value, 12);
        Assert.Equal(0.25, m["precision_best_constant_classifier"].Value, 12);
        Assert.Equal(0.4, m["f1_best_constant_classifier"].Value, 12);
        Assert.Equal(0.29411764705882354, m["f0_5_best_constant_classifier"].Value, 12);
        Assert.True(double.IsNaN(m["recall"].StandardDeviation)); // fewer than 200 records

        using var document = JsonDocument.Parse(result.StatisticsJson);
        var metrics = document.RootElement.GetProperty("binary_classification_metrics");
        Assert.Equal(2, metrics.GetProperty("confusion_matrix").GetProperty("0").GetProperty("1").GetInt64());
        Assert.Equal(1, metrics.GetProperty("confusion_matrix").GetProperty("1").GetProperty("1").GetInt64());
        Assert.Equal("NaN", metrics.GetProperty("recall").GetProperty("standard_deviation").GetString());
        Assert.Equal([0.0, 0, 1.0 / 3, 2.0 / 3, 1, 1], metrics.GetProperty("receiver_operating_characteristic_curve").GetProperty("false_positive_rates").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([0.0, 1, 1, 1, 1, 1], metrics.GetProperty("receiver_operating_characteristic_curve").GetProperty("true_positive_rates").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(4, document.RootElement.GetProperty("dataset").GetProperty("item_count").GetInt64());
    }

    [Fact]
    public void A_json_output_names_its_label_and_probability_by_attribute()
    {
        var capture = string.Join('\n',
            JsonOutput("a", "{\"predicted_label\": 1, \"score\": 0.8}"),
            JsonOutput("b", "{\"predicted_label\": 0, \"score\": 0.3}"));
        var truth = string.Join('\n', Truth("a", "1"), Truth("b", "1"));
        var config = new ModelQualityConfig(ProblemType.BinaryClassification, InferenceAttribute: "predicted_label", ProbabilityAttribute: "score");

        var result = ModelQualityMonitor.Analyze([Data.Text(capture)], [Data.Text(truth)], config);
        Assert.Equal(0.5, result.Statistics.Metrics["recall"].Value, 12);
        Assert.Equal(0.5, result.Statistics.Metrics["accuracy"].Value, 12);
    }

    [Fact]
    public void Multiclass_metrics_are_weighted_by_support()
    {
        LabeledPrediction[] pairs = [new("a", "a"), new("a", "b"), new("b", "b"), new("c", "c")];
        var stats = ModelQualityMonitor.Evaluate(pairs, new ModelQualityConfig(ProblemType.MulticlassClassification)).Statistics;

        Assert.Equal(0.75, stats.Metrics["accuracy"].Value, 12);
        Assert.Equal(0.75, stats.Metrics["weighted_recall"].Value, 12);
        Assert.Equal(0.875, stats.Metrics["weighted_precision"].Value, 12); // a 1.0, b 0.5, c 1.0 weighted 2:1:1
        Assert.Equal(0.75, stats.Metrics["weighted_f1"].Value, 12); // a 2/3, b 2/3, c 1
        Assert.Equal(0.5, stats.Metrics["accuracy_best_constant_classifier"].Value, 12);
        Assert.Equal(0.25, stats.Metrics["weighted_precision_best_constant_classifier"].Value, 12);
        Assert.Equal(1, stats.ConfusionMatrix!["a"]["b"]);
        Assert.Equal(0, stats.ConfusionMatrix["b"]["a"]);
        Assert.Contains("\"multiclass_classification_metrics\"", stats.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Regression_metrics_match_hand_computed_values()
    {
        LabeledPrediction[] pairs = [new("1", "1"), new("2", "3"), new("3", "5")];
        var stats = ModelQualityMonitor.Evaluate(pairs, new ModelQualityConfig(ProblemType.Regression)).Statistics;

        Assert.Equal(1, stats.Metrics["mae"].Value, 12);
        Assert.Equal(5.0 / 3, stats.Metrics["mse"].Value, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3), stats.Metrics["rmse"].Value, 12);
        Assert.Equal(-1.5, stats.Metrics["r2"].Value, 12); // 1 − 5 / 2
    }

    [Fact]
    public void Suggested_constraints_flag_a_worse_window_and_not_a_better_one()
    {
        var random = new Random(11);
        List<LabeledPrediction> Window(double accuracy) => Enumerable.Range(0, 400).Select(_ =>
        {
            var actual = random.Next(2);
            var predicted = random.NextDouble() < accuracy ? actual : 1 - actual;
            return new LabeledPrediction(actual.ToString(CultureInfo.InvariantCulture), predicted.ToString(CultureInfo.InvariantCulture));
        }).ToList();

        var (baseline, constraints) = ModelQualityMonitor.SuggestBaseline(Window(0.8), Binary);
        Assert.False(double.IsNaN(baseline.Metrics["accuracy"].StandardDeviation)); // 400 records: five 80 % samples
        var accuracy = Assert.Single(constraints.Constraints, c => c.MetricName == "accuracy");
        Assert.Equal(ComparisonOperator.LessThanThreshold, accuracy.ComparisonOperator);
        Assert.Equal(ComparisonOperator.GreaterThanThreshold, Assert.Single(constraints.Constraints, c => c.MetricName == "false_positive_rate").ComparisonOperator);

        var reread = ModelQualityConstraints.Parse(constraints.ToJson());
        Assert.Equal(constraints.Constraints, reread.Constraints);

        var worse = ModelQualityMonitor.Evaluate(Window(0.6), Binary, reread);
        var violation = Assert.Single(worse.Violations, v => v.MetricName == "accuracy");
        Assert.Equal("LessThanThreshold", violation.ConstraintCheckType);
        Assert.StartsWith("Metric accuracy with 0.", violation.Description, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(worse.ViolationsJson);
        Assert.Contains(document.RootElement.GetProperty("violations").EnumerateArray(), v => v.GetProperty("metric_name").GetString() == "accuracy");

        var better = ModelQualityMonitor.Evaluate(Window(0.95), Binary, reread);
        Assert.DoesNotContain(better.Violations, v => v.MetricName is "accuracy" or "f1" or "recall");
    }

    private static string Truth(string id, string label) =>
        JsonSerializer.Serialize(new { groundTruthData = new { data = label, encoding = "CSV" }, eventMetadata = new { eventId = id }, eventVersion = "0" });

    private static string JsonOutput(string inferenceId, string output) => JsonSerializer.Serialize(new
    {
        captureData = new
        {
            endpointInput = new { observedContentType = "text/csv", mode = "INPUT", data = "1", encoding = "CSV" },
            endpointOutput = new { observedContentType = "application/json", mode = "OUTPUT", data = output, encoding = "JSON" },
        },
        eventMetadata = new { eventId = Guid.NewGuid().ToString(), inferenceId, inferenceTime = "2026-12-06T05:00:00.000Z" },
        eventVersion = "0",
    });

    internal static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}

public sealed class BaselineDatasetTests
{
    [Fact]
    public void A_labeled_csv_becomes_a_model_quality_baseline()
    {
        var csv = "label,prediction,probability\n1,1,0.9\n0,1,0.8\n0,0,0.3\n1,0,0.4\n";
        var pairs = BaselineDataset.ReadCsv(Data.Text(csv), header: true, "label", "prediction", "probability");
        var (statistics, constraints) = ModelQualityMonitor.SuggestBaseline(pairs, new ModelQualityConfig(ProblemType.BinaryClassification));

        Assert.Equal(0.5, statistics.Metrics["accuracy"].Value, 12);
        Assert.Equal(0.75, statistics.Metrics["auc"].Value, 12); // positives 0.9, 0.4 against negatives 0.8, 0.3
        Assert.Contains(constraints.Constraints, c => c.MetricName == "auc" && c.Threshold == 0.75);

        var headerless = BaselineDataset.ReadCsv(Data.Text("2.5,2.0\n1.0,1.5\n"), header: false, "_c0", "_c1");
        Assert.Equal(0.5, ModelQualityMonitor.Evaluate(headerless, new ModelQualityConfig(ProblemType.Regression)).Statistics.Metrics["mae"].Value, 12);
    }

    [Theory]
    [InlineData("label,prediction\n1,1\n", "score", "no column 'score'")]
    [InlineData("label,prediction\n", "prediction", "no records")]
    [InlineData("label,prediction\n1,1\n0\n", "prediction", "not valid CSV")]
    public void A_bad_baseline_dataset_is_rejected(string csv, string inference, string message)
    {
        var e = Assert.Throws<MonitoringInputException>(() => BaselineDataset.ReadCsv(Data.Text(csv), header: true, "label", inference));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
