using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.ModelQuality;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Tests;

/// <summary>Bad input is a <see cref="MonitoringInputException"/> saying what is wrong, never another exception.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("", true)]
    [InlineData("", false)]
    [InlineData("a,b\n", true)]
    [InlineData("\n\n", false)]
    public void An_empty_csv_is_rejected(string text, bool header)
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(Data.Text(text), header)));
        Assert.Matches("empty|no records", e.Message);
    }

    [Fact]
    public void A_ragged_csv_row_is_rejected_with_its_line()
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(Data.Text("a,b\n1,2\n3\n4,5\n"), header: true)));
        Assert.Contains("1 column(s) on line 3 where 2 were expected", e.Message, StringComparison.Ordinal);

        var headerless = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text("1,2\n3,4,5\n"), header: false)));
        Assert.Contains("3 column(s) on line 2", headerless.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_csv_naming_a_column_twice_is_rejected()
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text("a,a\n1,2\n"), header: true)));
        Assert.Contains("Col name 'a' found 2 times", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":1}\nnot json\n", "Line 2 of the JSON Lines file 1 is not JSON")]
    [InlineData("[1,2]\n", "is not a JSON object")]
    [InlineData("\n", "no records")]
    public void Bad_json_lines_are_rejected(string text, string message)
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.Statistics(DatasetSource.JsonLines(Data.Text(text))));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not json", "line 1 of the capture file 1 is not JSON")]
    [InlineData("{\"eventMetadata\":{\"eventId\":\"e\"}}", "has no captureData")]
    [InlineData("{\"captureData\":{}}", "has no eventMetadata.eventId")]
    [InlineData("{\"captureData\":{\"endpointInput\":{\"data\":\"1\",\"encoding\":\"XML\"}},\"eventMetadata\":{\"eventId\":\"e\"}}", "unknown encoding 'XML'")]
    [InlineData("{\"captureData\":{\"endpointInput\":{\"data\":\"%%%\",\"encoding\":\"BASE64\"}},\"eventMetadata\":{\"eventId\":\"e\"}}", "not valid base64")]
    [InlineData("{\"captureData\":{\"endpointInput\":{\"data\":\"{oops\",\"encoding\":\"JSON\"}},\"eventMetadata\":{\"eventId\":\"e\"}}", "is not JSON")]
    public void Bad_capture_lines_are_rejected(string line, string message)
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.Statistics(DatasetSource.Capture(Data.Text(line + "\n"))));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("{\"features\":[]}", "no dataset.item_count")]
    [InlineData("{\"dataset\":{\"item_count\":1},\"features\":[{\"name\":\"a\",\"inferred_type\":\"Complex\"}]}", "inferred_type 'Complex'")]
    [InlineData("{\"dataset\":{\"item_count\":1},\"features\":[{\"inferred_type\":\"String\"}]}", "no string 'name'")]
    [InlineData("{\"dataset\":{\"item_count\":1},\"features\":[{\"name\":\"a\",\"inferred_type\":\"Integral\",\"numerical_statistics\":{\"common\":{\"num_present\":1,\"num_missing\":0},\"mean\":1,\"sum\":1,\"std_dev\":0,\"min\":1,\"max\":1,\"distribution\":{\"kll\":{\"sketch\":{\"data\":[[\"x\"]]}}}}}]}", "KLL sketch of feature 'a'")]
    public void A_bad_statistics_file_is_rejected(string json, string message)
    {
        var e = Assert.Throws<MonitoringInputException>(() => StatisticsJson.Parse(json));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "no features array")]
    [InlineData("{\"features\":[],\"monitoring_config\":{\"distribution_constraints\":{\"comparison_method\":\"Fancy\"}}}", "comparison_method 'Fancy'")]
    [InlineData("{\"features\":[],\"monitoring_config\":{\"evaluate_constraints\":\"Yes\"}}", "evaluate_constraints must be Enabled or Disabled")]
    [InlineData("{\"features\":[],\"monitoring_config\":{\"distribution_constraints\":{\"comparison_method\":\"1\"}}}", "comparison_method '1'")]
    public void A_bad_constraints_file_is_rejected(string json, string message)
    {
        var e = Assert.Throws<MonitoringInputException>(() => ConstraintsJson.Parse(json));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventVersion\":\"0\"}", "has no eventMetadata.eventId")]
    [InlineData("{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"\"}}", "has no eventMetadata.eventId")]
    [InlineData("{\"eventMetadata\":{\"eventId\":\"a\"}}", "has no groundTruthData.data")]
    [InlineData("nope", "is not JSON")]
    [InlineData("", "hold no records")]
    public void Bad_ground_truth_is_rejected(string line, string message)
    {
        var capture = StatisticsTests.Capture("1,2", "text/csv", "CSV", inferenceId: "a", output: "1");
        var e = Assert.Throws<MonitoringInputException>(() => ModelQualityMonitor.Analyze(
            [Data.Text(capture)], [Data.Text(line)], new ModelQualityConfig(ProblemType.BinaryClassification)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ground_truth_record_without_an_id_is_named_by_its_file_and_line()
    {
        var capture = StatisticsTests.Capture("1,2", "text/csv", "CSV", inferenceId: "a", output: "1");
        var truth = "{\"groundTruthData\":{\"data\":\"1\"},\"eventMetadata\":{\"eventId\":\"a\"}}\n{\"groundTruthData\":{\"data\":\"0\"}}";
        var e = Assert.Throws<MonitoringInputException>(() => ModelQualityMonitor.Analyze(
            [Data.Text(capture)], [Data.Text(truth)], new ModelQualityConfig(ProblemType.BinaryClassification), groundTruthNames: ["2026/12/06/18/labels.jsonl"]));
        Assert.Contains("line 2 of ground truth file 2026/12/06/18/labels.jsonl", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ground_truth_matching_no_inference_and_labels_that_are_not_binary_are_rejected()
    {
        var capture = StatisticsTests.Capture("1,2", "text/csv", "CSV", inferenceId: "a", output: "1");
        var other = "{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"zzz\"}}";
        var none = Assert.Throws<MonitoringInputException>(() => ModelQualityMonitor.Analyze(
            [Data.Text(capture)], [Data.Text(other)], new ModelQualityConfig(ProblemType.BinaryClassification)));
        Assert.Contains("None of the 1 ground truth records matches", none.Message, StringComparison.Ordinal);

        var cat = "{\"groundTruthData\":{\"data\":\"cat\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"a\"}}";
        var label = Assert.Throws<MonitoringInputException>(() => ModelQualityMonitor.Analyze(
            [Data.Text(capture)], [Data.Text(cat)], new ModelQualityConfig(ProblemType.BinaryClassification)));
        Assert.Contains("'cat' is not 0, 1, true or false", label.Message, StringComparison.Ordinal);
    }
}
