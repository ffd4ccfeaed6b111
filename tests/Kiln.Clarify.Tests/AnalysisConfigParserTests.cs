using Kiln.Clarify.Config;

namespace Kiln.Clarify.Tests;

public sealed class AnalysisConfigParserTests
{
    /// <summary>What SageMakerClarifyProcessor.run_bias + run_explainability write (DataConfig, BiasConfig, ModelConfig, SHAPConfig).</summary>
    internal const string SdkConfig = """
        {
          "dataset_type": "text/csv",
          "headers": ["age", "income", "sex", "approved"],
          "label": "approved",
          "label_values_or_threshold": [1],
          "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}, {"name_or_index": "age", "value_or_threshold": [40]}],
          "group_variable": "income",
          "probability_threshold": 0.6,
          "methods": {
            "report": {"name": "report", "title": "Analysis Report"},
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": ["DPPL", "DI", "DCAcc"]},
            "shap": {"baseline": [[35, 50000, "F"]], "num_samples": 64, "agg_method": "median", "use_logit": false,
                     "save_local_shap_values": true, "seed": 7}
          },
          "predictor": {"model_name": "credit-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                        "content_type": "text/csv", "accept_type": "text/csv", "probability": 0, "label_headers": ["approved"]}
        }
        """;

    [Fact]
    public void Reads_every_field_the_sdk_writes()
    {
        var config = AnalysisConfigParser.Parse(SdkConfig);
        Assert.Equal("text/csv", config.DatasetType);
        Assert.Equal(["age", "income", "sex", "approved"], config.Headers);
        Assert.Equal("approved", config.Label?.Name);
        Assert.Equal(ConfigValue.Integer(1), Assert.Single(config.LabelValuesOrThreshold!));
        Assert.Equal(2, config.Facets.Count);
        Assert.Equal(("sex", "F"), (config.Facets[0].Column.Name, config.Facets[0].ValueOrThreshold![0].Text));
        Assert.Equal(ConfigValueKind.Integer, config.Facets[1].ValueOrThreshold![0].Kind);
        Assert.Equal("income", config.GroupVariable?.Name);
        Assert.Equal(0.6, config.ProbabilityThreshold);
        Assert.Equal(["all"], config.Methods.PreTrainingBias);
        Assert.Equal(["DPPL", "DI", "DCAcc"], config.Methods.PostTrainingBias);
        var shap = config.Methods.Shap!;
        Assert.Equal((64, ShapAggregation.Median, false, true, 7), (shap.NumSamples, shap.AggMethod, shap.UseLogit, shap.SaveLocalShapValues, shap.Seed));
        Assert.Equal(["35", "50000", "F"], shap.BaselineRows![0]);
        Assert.Equal(("report", "Analysis Report"), (config.Methods.Report!.Name, config.Methods.Report.Title));
        Assert.Equal(("credit-model", "text/csv", 0), (config.Predictor!.ModelName, config.Predictor.AcceptType, config.Predictor.Probability?.Index));
        Assert.Equal(["approved"], config.Predictor.LabelHeaders);
    }

    [Fact]
    public void Keeps_the_json_type_of_values()
    {
        var config = AnalysisConfigParser.Parse("""
            {"dataset_type": "application/jsonlines", "label": 3, "label_values_or_threshold": [1.0, "yes", 2],
             "facet": [{"name_or_index": 0}], "predicted_label": 4, "methods": {"post_training_bias": {"methods": "all"}}}
            """);
        Assert.Equal(["1.0", "yes", "2"], config.LabelValuesOrThreshold!.Select(v => v.Text));
        Assert.Equal([ConfigValueKind.Float, ConfigValueKind.String, ConfigValueKind.Integer], config.LabelValuesOrThreshold!.Select(v => v.Kind));
        Assert.Equal(3, config.Label?.Index);
        Assert.Null(config.Facets[0].ValueOrThreshold);
        Assert.Equal(ShapAggregation.MeanAbs, AnalysisConfigParser.Parse("""
            {"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": {"endpoint_name": "e"}}
            """).Methods.Shap!.AggMethod);
    }

    public static TheoryData<string, string> BadConfigs() => new()
    {
        { "{not json", "not valid JSON" },
        { "[1, 2]", "must be a JSON object" },
        { """{"methods": {"pre_training_bias": {"methods": "all"}}}""", "dataset_type is required" },
        { """{"dataset_type": "text/tsv", "methods": {}}""", "dataset_type 'text/tsv' is invalid" },
        { """{"dataset_type": "application/x-parquet", "methods": {}}""", "not supported" },
        { """{"dataset_type": "text/csv"}""", "methods is required" },
        { """{"dataset_type": "text/csv", "methods": {}}""", "at least one analysis" },
        { """{"dataset_type": "text/csv", "methods": {"magic": {}}}""", "Unknown method 'magic'" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "methods": {"pre_training_bias": {"methods": ["CI", "XYZ"]}}}""", "Unknown pre_training_bias method 'XYZ'" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "predicted_label": "p", "methods": {"post_training_bias": {"methods": ["CI"]}}}""", "Unknown post_training_bias method 'CI'" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "methods": {"pre_training_bias": {"methods": 5}}}""", "must be \"all\" or a list" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "methods": {"pre_training_bias": {"methods": []}}}""", "must not be empty" },
        { """{"dataset_type": "text/csv", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "label is required" },
        { """{"dataset_type": "text/csv", "label": "y", "facet": [{"name_or_index": "f"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "label_values_or_threshold is required" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "methods": {"pre_training_bias": {"methods": "all"}}}""", "facet is required" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"value_or_threshold": [1]}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "name_or_index is required" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f", "value_or_threshold": []}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "must not be empty" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f", "value_or_threshold": [true]}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "numbers or strings" },
        { """{"dataset_type": "text/csv", "headers": ["a", "y"], "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "facet 'sex' is not one of the headers" },
        { """{"dataset_type": "text/csv", "headers": ["a", "b"], "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "a"}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "label 'y' is not one of the headers" },
        { """{"dataset_type": "text/csv", "headers": ["a", "y"], "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": 9}], "methods": {"pre_training_bias": {"methods": "all"}}}""", "facet index 9 is out of range" },
        { """{"dataset_type": "text/csv", "headers": ["a", "a"], "methods": {"shap": {}}, "predictor": {"endpoint_name": "e"}}""", "must not repeat" },
        { """{"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}], "methods": {"post_training_bias": {"methods": "all"}}}""", "needs a predictor or a predicted_label" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}}}""", "shap needs a predictor" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": {"instance_type": "ml.m5.xlarge"}}""", "endpoint_name or model_name" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": {"endpoint_name": "e", "content_type": "text/plain"}}""", "content_type 'text/plain' is invalid" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": {"endpoint_name": "e", "accept_type": "image/png"}}""", "accept_type 'image/png' is invalid" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"agg_method": "max"}}, "predictor": {"endpoint_name": "e"}}""", "agg_method 'max' is invalid" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"num_samples": 0}}, "predictor": {"endpoint_name": "e"}}""", "num_samples must be a positive integer" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"num_samples": "many"}}, "predictor": {"endpoint_name": "e"}}""", "num_samples must be an integer" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"use_logit": "yes"}}, "predictor": {"endpoint_name": "e"}}""", "use_logit must be true or false" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"baseline": [[1, 2], [3]]}}, "predictor": {"endpoint_name": "e"}}""", "same number of values" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"baseline": []}}, "predictor": {"endpoint_name": "e"}}""", "non-empty list of rows" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {"baseline": [[1]], "num_clusters": 2}}, "predictor": {"endpoint_name": "e"}}""", "cannot be given together" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}, "report": {"name": "../x"}}, "predictor": {"endpoint_name": "e"}}""", "plain file name" },
        { """{"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": {"endpoint_name": "e"}, "probability_threshold": 2}""", "between 0 and 1" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_configs_are_rejected_with_a_message_naming_the_problem(string json, string message)
    {
        var e = Assert.Throws<ClarifyValidationException>(() => AnalysisConfigParser.Parse(json));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(2.2019, "2.2019")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e-5, "1.5e-05")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(39.28, "39.28")]
    public void Floats_print_as_python_prints_them(double value, string text)
    {
        Assert.Equal(text, PythonFormat.Float(value));
    }
}
