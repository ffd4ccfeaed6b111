using System.Globalization;
using System.Text.Json;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;
using Kiln.Clarify.Reports;

namespace Kiln.Clarify.Tests;

public sealed class ClarifyAnalysisTests
{
    private const string Csv = """
        age,income,sex,approved
        25,30000,F,no
        52,90000,M,yes
        37,45000,F,yes
        61,52000,M,no
        44,80000,M,yes
        29,28000,F,no
        33,61000,M,yes
        48,39000,F,no
        """;

    /// <summary>Approves when a score of the numeric features passes 0.5: the model of this dataset.</summary>
    private static readonly KernelShapTests.FunctionPredictor Model = new(x => 1 / (1 + Math.Exp(-((x[1] - 50000) / 10000.0) - ((x[0] - 40) / 20.0))));

    private sealed class NumericFeatures(Func<double[], double> f) : Explainability.IBatchPredictor
    {
        public List<string?[]> Seen { get; } = [];

        public Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken)
        {
            Seen.AddRange(rows);
            return Task.FromResult(rows.Select(r => f([double.Parse(r[0]!, CultureInfo.InvariantCulture), double.Parse(r[1]!, CultureInfo.InvariantCulture)])).ToArray());
        }
    }

    private static double Score(double[] x) => 1 / (1 + Math.Exp(-((x[1] - 50000) / 10000.0) - ((x[0] - 40) / 20.0)));

    private static ClarifyDataset Data(AnalysisConfig config, string csv = Csv) => DatasetReader.Read(config, new StringReader(csv));

    [Fact]
    public async Task Runs_every_configured_method_and_writes_clarify_outputs()
    {
        var config = AnalysisConfigParser.Parse("""
            {"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"],
             "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "probability_threshold": 0.5,
             "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["DPPL", "DI"]},
                         "shap": {"baseline": [[40, 50000, "F"]], "seed": 1}, "report": {"name": "report", "title": "Credit <bias>"}},
             "predictor": {"model_name": "m", "content_type": "text/csv"}}
            """);
        var model = new NumericFeatures(Score);
        var result = await ClarifyAnalysis.RunAsync(config, Data(config), new ClarifyRunOptions { Predictor = model }, default);

        // Pre-training: 4 F of 8, F approved 1 of 4, M approved 3 of 4.
        var ci = result.PreTraining!.Facets[0].Values[0].Metrics.Single(m => m.Name == "CI");
        Assert.Equal(0, ci.Value);
        var dpl = result.PreTraining.Facets[0].Values[0].Metrics.Single(m => m.Name == "DPL");
        Assert.Equal(0.75 - 0.25, dpl.Value!.Value, 12);
        Assert.Equal("yes", result.PreTraining.LabelValueOrThreshold);
        // The model sees only the features, in dataset order, without the label.
        Assert.All(model.Seen, r => Assert.Equal(3, r.Length));
        // Post-training from the model's probabilities above 0.5.
        var predictedF = new[] { 0, 2, 5, 7 }.Count(i => Score(Features(i)) > 0.5) / 4.0;
        var predictedM = new[] { 1, 3, 4, 6 }.Count(i => Score(Features(i)) > 0.5) / 4.0;
        Assert.Equal(predictedM - predictedF, result.PostTraining!.Facets[0].Values[0].Metrics.Single(m => m.Name == "DPPL").Value!.Value, 12);
        // SHAP: sex never differs from the baseline's "F" for F rows; efficiency per row.
        var shap = result.Shap!;
        Assert.Equal(["age", "income", "sex"], shap.Features);
        Assert.Equal(Score([40, 50000]), shap.ExpectedValue, 12);
        Assert.Equal(0, shap.Local.Values[0][2]);
        for (var r = 0; r < 8; r++)
        {
            Assert.True(Math.Abs(shap.Local.Values[r].Sum() - (Score(Features(r)) - shap.ExpectedValue)) <= 1e-9);
        }
        Assert.Equal(shap.Local.Values.Average(v => Math.Abs(v[1])), shap.GlobalShapValues[1], 12);

        var dir = Path.Combine(Path.GetTempPath(), "kiln-clarify-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = await ClarifyOutput.WriteAsync(dir, config, result, default);
            Assert.Equal(["analysis.json", "report.html", "explanations_shap/out.csv"], files);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "analysis.json")));
            var pre = json.RootElement.GetProperty("pre_training_bias_metrics");
            Assert.Equal("approved", pre.GetProperty("label").GetString());
            Assert.Equal("yes", pre.GetProperty("label_value_or_threshold").GetString());
            var group = pre.GetProperty("facets").GetProperty("sex")[0];
            Assert.Equal("F", group.GetProperty("value_or_threshold").GetString());
            Assert.Equal(["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"], group.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
            var cddl = group.GetProperty("metrics")[0];
            Assert.Equal(JsonValueKind.Null, cddl.GetProperty("value").ValueKind);
            Assert.Contains("Group variable", cddl.GetProperty("error").GetString(), StringComparison.Ordinal);
            var kernel = json.RootElement.GetProperty("explanations").GetProperty("kernel_shap").GetProperty("label0");
            Assert.Equal(shap.ExpectedValue, kernel.GetProperty("expected_value").GetDouble(), 12);
            Assert.Equal(shap.GlobalShapValues[0], kernel.GetProperty("global_shap_values").GetProperty("age").GetDouble(), 12);

            var html = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("<title>Credit &lt;bias&gt;</title>", html, StringComparison.Ordinal);
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.Contains("Class Imbalance (CI)", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
            var local = File.ReadAllLines(Path.Combine(dir, "explanations_shap/out.csv"));
            Assert.Equal("age,income,sex", local[0]);
            Assert.Equal(9, local.Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double[] Features(int row)
    {
        var cells = Csv.Split('\n')[row + 1].Split(',');
        return [double.Parse(cells[0], CultureInfo.InvariantCulture), double.Parse(cells[1], CultureInfo.InvariantCulture)];
    }

    [Fact]
    public async Task One_call_runs_a_job_from_its_config_text_and_dataset_into_a_directory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kiln-clarify-" + Guid.NewGuid().ToString("N"));
        try
        {
            const string config = """
                {"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"],
                 "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}
                """;
            var result = await ClarifyAnalysis.RunToDirectoryAsync(config, new StringReader(Csv), dir, new ClarifyRunOptions(), default);
            Assert.Equal(["F", "M"], result.PreTraining!.Facets[0].Values.Select(v => v.ValueOrThreshold));
            // No report section in the config: analysis.json only.
            Assert.Equal(["analysis.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
            await Assert.ThrowsAsync<ClarifyValidationException>(() =>
                ClarifyAnalysis.RunToDirectoryAsync("{", new StringReader(Csv), dir, new ClarifyRunOptions(), default));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Infinite_values_are_written_as_clarify_writes_them()
    {
        var report = new Bias.BiasReport("y", "1", [new Bias.FacetResult("f", [new Bias.FacetValueResult("a",
            [new Bias.MetricResult("DI", "Disparate Impact (DI)", double.PositiveInfinity), new Bias.MetricResult("TE", "Treatment Equality (TE)", double.NegativeInfinity)])])]);
        using var json = JsonDocument.Parse(AnalysisJson.Write(new AnalysisResult(null, report, null)));
        var metrics = json.RootElement.GetProperty("post_training_bias_metrics").GetProperty("facets").GetProperty("f")[0].GetProperty("metrics");
        Assert.Equal("Infinity", metrics[0].GetProperty("value").GetString());
        Assert.Equal("-Infinity", metrics[1].GetProperty("value").GetString());
        Assert.False(json.RootElement.TryGetProperty("pre_training_bias_metrics", out _));
    }

    [Fact]
    public void A_facet_without_values_reports_each_value_and_a_threshold_reports_an_interval()
    {
        var config = AnalysisConfigParser.Parse("""
            {"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"],
             "facet": [{"name_or_index": "sex"}, {"name_or_index": "age", "value_or_threshold": [40]}, {"name_or_index": "income", "value_or_threshold": ["50000"]}],
             "methods": {"pre_training_bias": {"methods": ["CI"]}}}
            """);
        var report = Bias.BiasAnalyzer.PreTraining(config, Data(config));
        Assert.Equal(["F", "M"], report.Facets[0].Values.Select(v => v.ValueOrThreshold));
        Assert.Equal("(40, 61]", report.Facets[1].Values[0].ValueOrThreshold);
        // 4 of 8 older than 40.
        Assert.Equal(0, report.Facets[1].Values[0].Metrics[0].Value);
        // A threshold given as a string is read as a number, so the interval prints as floats.
        Assert.Equal("(50000.0, 90000.0]", report.Facets[2].Values[0].ValueOrThreshold);
        Assert.Equal(0, report.Facets[2].Values[0].Metrics[0].Value);
    }

    public static TheoryData<string, string, string> BadAnalyses() => new()
    {
        // config, data, message
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "gender"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "facet 'gender' is not a column of the dataset" },
        { """{"dataset_type": "text/csv", "label": "target", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "label 'target' is not a column of the dataset" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "group_variable": "region", "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "group_variable 'region' is not a column" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "", "The dataset is empty" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "age,sex,approved\n", "no data rows" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "age,sex,approved\n1,F\n", "has 2 values but there are 3 columns" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "age,sex,approved\n1,\"F,0\n", "inside a quoted value" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "income"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "Facet 'income' is continuous" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "age", "value_or_threshold": ["old"]}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "single numeric threshold" },
        { """{"dataset_type": "text/csv", "label": "income", "label_values_or_threshold": ["rich"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "Label 'income' is continuous: the value provided must be a single numeric threshold" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "approved"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", Csv, "is the label column" },
        { """{"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "predicted_label": "age", "methods": {"post_training_bias": {"methods": "all"}}}""", Csv, "Predicted label column 'age' is continuous but label column 'approved' is categorical" },
        { """{"dataset_type": "application/jsonlines", "label": "approved", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "{\"sex\": \"F\", \"approved\": 1}\n{oops\n", "line 2 is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadAnalyses))]
    public async Task Data_that_cannot_satisfy_the_config_is_a_validation_error(string configJson, string csv, string message)
    {
        var config = AnalysisConfigParser.Parse(configJson);
        var e = await Assert.ThrowsAsync<ClarifyValidationException>(async () =>
            await ClarifyAnalysis.RunAsync(config, Data(config, csv), new ClarifyRunOptions(), default));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Methods_needing_the_model_fail_clearly_without_one()
    {
        var config = AnalysisConfigParser.Parse("""{"dataset_type": "text/csv", "label": "approved", "methods": {"shap": {"baseline": [[1, 2]]}}, "predictor": {"endpoint_name": "e"}}""");
        var e = await Assert.ThrowsAsync<ClarifyValidationException>(() => ClarifyAnalysis.RunAsync(config, Data(config), new ClarifyRunOptions(), default));
        Assert.Contains("no predictor was supplied", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ClarifyValidationException>(() =>
            ClarifyAnalysis.RunAsync(config, Data(config), new ClarifyRunOptions { Predictor = Model }, default));
        Assert.Contains("one value per feature: 3 (age, income, sex)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_records_read_flat_or_in_the_dense_format()
    {
        var flat = DatasetReader.ReadJsonLines(new StringReader("{\"a\": 1, \"b\": \"x\"}\n\n{\"a\": 2.5, \"b\": null}\n"), null, null, null);
        Assert.Equal(["a", "b"], flat.Headers);
        Assert.Equal(ColumnKind.Float, flat.Columns[0].Kind);
        Assert.True(flat.Columns[1].IsMissing(1));
        var dense = DatasetReader.ReadJsonLines(new StringReader("{\"features\": [1, 2], \"label\": 0}\n{\"features\": [3, 4], \"label\": 1}\n"),
            ["f1", "f2", "label"], "features", new ColumnRef("label", null));
        Assert.Equal(["f1", "f2", "label"], dense.Headers);
        Assert.Equal(["0", "1"], dense.Columns[2].Cells.Select(c => c!));
    }
}
