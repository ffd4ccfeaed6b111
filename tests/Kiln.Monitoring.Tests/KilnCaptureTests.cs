using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.ModelQuality;

namespace Kiln.Monitoring.Tests;

/// <summary>Lines exactly as Kiln.Hosting's CaptureWriter writes them (key order, relaxed escaping, empty inferenceId).</summary>
public sealed class KilnCaptureTests
{
    private const string Lines =
        "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"5.1,3.5,\\\"setosa, wild\\\"\",\"encoding\":\"CSV\"},\"endpointOutput\":{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.91\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"0HN8A1\",\"inferenceId\":\"\",\"inferenceTime\":\"2026-12-06T05:00:00.123Z\"},\"eventVersion\":\"0\"}\n"
        + "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"application/json\",\"mode\":\"INPUT\",\"data\":\"{\\\"f0\\\": 4.9, \\\"f1\\\": 3.0, \\\"f2\\\": \\\"versicolor\\\"}\",\"encoding\":\"JSON\"},\"endpointOutput\":{\"observedContentType\":\"application/json\",\"mode\":\"OUTPUT\",\"data\":\"[0.12]\",\"encoding\":\"JSON\"}},\"eventMetadata\":{\"eventId\":\"0HN8A2\",\"inferenceId\":\"req-2\",\"inferenceTime\":\"2026-12-06T05:00:01.000Z\"},\"eventVersion\":\"0\"}\n"
        + "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"application/x-npy\",\"mode\":\"INPUT\",\"data\":\"NS4wLDIuMCx2aXJnaW5pY2E=\",\"encoding\":\"BASE64\"},\"endpointOutput\":{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"1\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"0HN8A3\",\"inferenceId\":\"req-3\",\"inferenceTime\":\"2026-12-06T05:00:02.000Z\"},\"eventVersion\":\"0\"}\n";

    [Fact]
    public void Records_read_with_their_ids_payloads_and_encodings()
    {
        var records = CaptureReader.Read(Data.Text(Lines)).ToList();

        Assert.Equal(3, records.Count);
        Assert.Equal("0HN8A1", records[0].Key); // an empty inferenceId falls back to the eventId
        Assert.Equal("req-2", records[1].Key);
        Assert.Equal("5.1,3.5,\"setosa, wild\"", records[0].Input!.Text);
        Assert.True(records[1].Input!.IsJson);
        Assert.Equal("5.0,2.0,virginica", records[2].Input!.Text);
        Assert.False(records[2].Input!.IsCsv); // base64 of a content type that is neither CSV nor JSON
        Assert.Equal("2026-12-06T05:00:02.000Z", records[2].InferenceTime);
    }

    [Fact]
    public void An_input_neither_csv_nor_json_is_a_clear_error_for_data_quality()
    {
        var e = Assert.Throws<MonitoringInputException>(() => DataQualityMonitor.Statistics(DatasetSource.Capture(Data.Text(Lines))));
        Assert.Contains("'application/x-npy', neither CSV nor JSON", e.Message, StringComparison.Ordinal);

        var csvAndJson = string.Join('\n', Lines.Split('\n').Take(2));
        var stats = DataQualityMonitor.Statistics(DatasetSource.Capture(Data.Text(csvAndJson)));
        Assert.Equal(2, stats.ItemCount);
        Assert.Equal("setosa, wild", stats.Feature("_c2")!.String!.Buckets.Single().Value); // quoted CSV cell
        Assert.Equal(["_c0", "_c1", "_c2", "f0", "f1", "f2"], stats.Features.Select(f => f.Name));
    }

    [Fact]
    public void Ground_truth_joins_kiln_capture_by_inference_id_or_event_id()
    {
        var truth = string.Join('\n',
            "{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"0HN8A1\"},\"eventVersion\":\"0\"}",
            "{\"groundTruthData\":{\"data\":\"{\\\"label\\\": 0}\",\"encoding\":\"JSON\"},\"eventMetadata\":{\"eventId\":\"req-2\"},\"eventVersion\":\"0\"}",
            "{\"groundTruthData\":{\"data\":\"MA==\",\"encoding\":\"BASE64\"},\"eventMetadata\":{\"eventId\":\"req-3\"},\"eventVersion\":\"0\"}");

        var result = ModelQualityMonitor.Analyze([Data.Text(Lines)], [Data.Text(truth)], new ModelQualityConfig(ProblemType.BinaryClassification));

        // Scores 0.91 (label 1) and 0.12 (label 0), and a predicted 1 for label 0: two right of three.
        Assert.Equal(3, result.Matched);
        Assert.Equal(2.0 / 3, result.Statistics.Metrics["accuracy"].Value, 12);
        Assert.Equal(1.0, result.Statistics.Metrics["recall"].Value, 12);
    }
}
