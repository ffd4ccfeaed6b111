using System.Text;
using System.Text.Json;
using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Tests;

public sealed class StatisticsTests
{
    private const string Small = "a,b,c\n1,2.5,x\n2,,y\n3,4.5,x\n,1.0,z\n";

    [Fact]
    public void Csv_statistics_match_hand_computed_values()
    {
        var stats = DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text(Small), header: true));

        Assert.Equal(4, stats.ItemCount);
        var a = stats.Feature("a")!;
        Assert.Equal((InferredType.Integral, 3L, 1L), (a.InferredType, a.NumPresent, a.NumMissing));
        Assert.Equal(2, a.Numerical!.Mean, 12);
        Assert.Equal(6, a.Numerical.Sum, 12);
        Assert.Equal(Math.Sqrt(2.0 / 3), a.Numerical.StdDev, 12); // population deviation, as Deequ
        Assert.Equal((1.0, 3.0), (a.Numerical.Min, a.Numerical.Max));

        // Ten equal-width buckets over [1, 3]: 1 in the first, 2 in the sixth ([2.0, 2.2)), 3 in the last (closed).
        Assert.Equal(10, a.Numerical.Buckets.Count);
        Assert.Equal([1L, 0, 0, 0, 0, 1, 0, 0, 0, 1], a.Numerical.Buckets.Select(b => b.Count));
        Assert.Equal(2.0, a.Numerical.Buckets[5].LowerBound, 12);
        Assert.Equal(3.0, a.Numerical.Buckets[9].UpperBound, 12);

        var b = stats.Feature("b")!;
        Assert.Equal((InferredType.Fractional, 3L, 1L), (b.InferredType, b.NumPresent, b.NumMissing));
        Assert.Equal(8.0 / 3, b.Numerical!.Mean, 12);
        Assert.Equal(8, b.Numerical.Sum, 12);

        var c = stats.Feature("c")!;
        Assert.Equal((InferredType.String, 4L, 0L), (c.InferredType, c.NumPresent, c.NumMissing));
        Assert.Equal(3, c.String!.DistinctCount);
        Assert.Equal([("x", 2L), ("y", 1L), ("z", 1L)], c.String.Buckets.Select(x => (x.Value, x.Count)));
    }

    [Fact]
    public void A_csv_without_header_names_its_columns_like_sagemaker()
    {
        var stats = DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text("1,a,0.5\n2,b,1.5\n"), header: false));

        Assert.Equal(["_c0", "_c1", "_c2"], stats.Features.Select(f => f.Name));
        Assert.Equal(2, stats.ItemCount);
        Assert.Equal([InferredType.Integral, InferredType.String, InferredType.Fractional], stats.Features.Select(f => f.InferredType));
    }

    [Fact]
    public void Json_lines_type_by_json_kind_and_count_late_columns_as_missing_before()
    {
        var lines = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2.5,\"b\":null}\n\n{\"a\":null,\"c\":\"5\"}\n";
        var stats = DataQualityMonitor.Statistics(DatasetSource.JsonLines(Data.Text(lines)));

        Assert.Equal(3, stats.ItemCount);
        Assert.Equal((InferredType.Fractional, 2L, 1L), (stats.Feature("a")!.InferredType, stats.Feature("a")!.NumPresent, stats.Feature("a")!.NumMissing));
        Assert.Equal((InferredType.String, 1L, 2L), (stats.Feature("b")!.InferredType, stats.Feature("b")!.NumPresent, stats.Feature("b")!.NumMissing));

        // A JSON string is a String even when it spells a number.
        Assert.Equal((InferredType.String, 1L, 2L), (stats.Feature("c")!.InferredType, stats.Feature("c")!.NumPresent, stats.Feature("c")!.NumMissing));
    }

    [Fact]
    public void Capture_files_are_profiled_from_their_endpoint_inputs_in_each_encoding()
    {
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes("3,c"));
        var capture = string.Join('\n',
            Capture("1,a", "text/csv", "CSV"),
            Capture("2,b", "text/csv", "CSV"),
            Capture(base64, "text/csv", "BASE64"),
            string.Empty);
        var stats = DataQualityMonitor.Statistics(DatasetSource.Capture(Data.Text(capture)));

        Assert.Equal(3, stats.ItemCount);
        Assert.Equal(["_c0", "_c1"], stats.Features.Select(f => f.Name));
        Assert.Equal(6, stats.Feature("_c0")!.Numerical!.Sum);
        Assert.Equal(3, stats.Feature("_c1")!.String!.DistinctCount);

        var json = Capture("{\"age\": 30, \"city\": \"Oslo\"}", "application/json", "JSON") + "\n" + Capture("[[40, \"Rome\"]]", "application/json", "JSON");
        var jsonStats = DataQualityMonitor.Statistics(DatasetSource.Capture(Data.Text(json)));
        Assert.Equal(["age", "city", "_c0", "_c1"], jsonStats.Features.Select(f => f.Name));
        Assert.Equal(2, jsonStats.ItemCount);
    }

    [Fact]
    public void Statistics_json_has_model_monitors_schema_and_reads_back()
    {
        var stats = DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text(Small), header: true));
        var json = StatisticsJson.ToJson(stats);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(4, root.GetProperty("dataset").GetProperty("item_count").GetInt64());
        var a = root.GetProperty("features")[0];
        Assert.Equal("a", a.GetProperty("name").GetString());
        Assert.Equal("Integral", a.GetProperty("inferred_type").GetString());
        var numerical = a.GetProperty("numerical_statistics");
        Assert.Equal(3, numerical.GetProperty("common").GetProperty("num_present").GetInt64());
        Assert.Equal(1, numerical.GetProperty("common").GetProperty("num_missing").GetInt64());
        foreach (var field in new[] { "mean", "sum", "std_dev", "min", "max" })
        {
            Assert.Equal(JsonValueKind.Number, numerical.GetProperty(field).ValueKind);
        }

        var kll = numerical.GetProperty("distribution").GetProperty("kll");
        Assert.Equal(10, kll.GetProperty("buckets").GetArrayLength());
        Assert.True(kll.GetProperty("buckets")[0].TryGetProperty("lower_bound", out _));
        Assert.Equal(2048, kll.GetProperty("sketch").GetProperty("parameters").GetProperty("k").GetDouble());
        Assert.Equal(0.7, kll.GetProperty("sketch").GetProperty("parameters").GetProperty("c").GetDouble());
        Assert.Equal([1.0, 2, 3], kll.GetProperty("sketch").GetProperty("data")[0].EnumerateArray().Select(v => v.GetDouble()));

        var c = root.GetProperty("features")[2].GetProperty("string_statistics");
        Assert.Equal(3, c.GetProperty("distinct_count").GetDouble());
        Assert.Equal("x", c.GetProperty("distribution").GetProperty("categorical").GetProperty("buckets")[0].GetProperty("value").GetString());

        var back = StatisticsJson.Parse(json);
        Assert.Equal(stats.ItemCount, back.ItemCount);
        Assert.Equal(stats.Feature("a")!.Numerical!.Mean, back.Feature("a")!.Numerical!.Mean);
        Assert.Equal(3, back.Feature("a")!.Numerical!.Sketch.Count);
        Assert.Equal(stats.Feature("c")!.String!.Buckets, back.Feature("c")!.String!.Buckets);
    }

    [Fact]
    public void Suggested_constraints_carry_type_completeness_non_negativity_and_small_domains()
    {
        var baseline = DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(Data.Text("n,neg,s\n1,-1,x\n2,1,y\n,2,x\n"), header: true));
        var constraints = baseline.Constraints;

        Assert.Equal(2.0 / 3, constraints.Feature("n")!.Completeness, 12);
        Assert.True(constraints.Feature("n")!.IsNonNegative);
        Assert.False(constraints.Feature("neg")!.IsNonNegative);
        Assert.Equal(["x", "y"], constraints.Feature("s")!.Domains!);
        Assert.Null(constraints.Feature("n")!.Domains);

        using var document = JsonDocument.Parse(baseline.ConstraintsJson);
        var root = document.RootElement;
        Assert.Equal(0.0, root.GetProperty("version").GetDouble());
        var s = root.GetProperty("features")[2];
        Assert.Equal("String", s.GetProperty("inferred_type").GetString());
        Assert.Equal(2, s.GetProperty("string_constraints").GetProperty("domains").GetArrayLength());
        Assert.True(root.GetProperty("features")[0].GetProperty("num_constraints").GetProperty("is_non_negative").GetBoolean());
        var config = root.GetProperty("monitoring_config");
        Assert.Equal("Enabled", config.GetProperty("evaluate_constraints").GetString());
        Assert.Equal("Enabled", config.GetProperty("emit_metrics").GetString());
        Assert.Equal(0.1, config.GetProperty("datatype_check_threshold").GetDouble());
        Assert.Equal(0.1, config.GetProperty("domain_content_threshold").GetDouble());
        var distribution = config.GetProperty("distribution_constraints");
        Assert.Equal("Enabled", distribution.GetProperty("perform_comparison").GetString());
        Assert.Equal(0.1, distribution.GetProperty("comparison_threshold").GetDouble());
        Assert.Equal("Robust", distribution.GetProperty("comparison_method").GetString());
        Assert.Equal(0.1, distribution.GetProperty("categorical_comparison_threshold").GetDouble());
        Assert.Equal("LInfinity", distribution.GetProperty("categorical_drift_method").GetString());

        var back = ConstraintsJson.Parse(baseline.ConstraintsJson);
        Assert.Equal(constraints.MonitoringConfig, back.MonitoringConfig);
        Assert.Equal(["x", "y"], back.Feature("s")!.Domains!);
    }

    [Fact]
    public void A_column_with_many_distinct_strings_estimates_its_distinct_count()
    {
        var text = new StringBuilder("id\n");
        for (var i = 0; i < 20_000; i++)
        {
            text.Append("user-").Append(i).Append('\n');
        }

        var stats = DataQualityMonitor.Statistics(DatasetSource.Csv(Data.Text(text.ToString()), header: true));
        Assert.InRange(stats.Feature("id")!.String!.DistinctCount, 19_400, 20_600); // HyperLogLog, ~0.8 % error
    }

    internal static string Capture(string data, string contentType, string encoding, string? inferenceId = null, string? output = null, string eventId = "")
    {
        var input = new { observedContentType = contentType, mode = "INPUT", data, encoding };
        object capture = output is null
            ? new { endpointInput = input }
            : new { endpointInput = input, endpointOutput = new { observedContentType = "text/csv", mode = "OUTPUT", data = output, encoding = "CSV" } };
        var id = eventId.Length > 0 ? eventId : Guid.NewGuid().ToString();
        object metadata = inferenceId is null
            ? new { eventId = id, inferenceTime = "2026-12-06T05:00:00.000Z" }
            : new { eventId = id, inferenceId, inferenceTime = "2026-12-06T05:00:00.000Z" };
        return JsonSerializer.Serialize(new { captureData = capture, eventMetadata = metadata, eventVersion = "0" });
    }
}
