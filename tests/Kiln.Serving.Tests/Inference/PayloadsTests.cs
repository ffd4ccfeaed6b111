using System.Text;
using System.Text.Json;
using Kiln.Core.Training;
using Kiln.Serving.Inference;

namespace Kiln.Serving.Tests.Inference;

public sealed class PayloadsTests
{
    [Fact]
    public void Numeric_csv_rows_become_feature_vectors_with_missing_cells_as_nan()
    {
        var rows = Payloads.Decode("1,2.5,-3e2\r\n4,,6\n\n"u8, "text/csv; charset=utf-8");
        Assert.Equal(2, rows.Count);
        Assert.Equal([1f, 2.5f, -300f], rows[0].Features!);
        Assert.True(float.IsNaN(rows[1].Features![1]));
        Assert.Null(rows[0].Cells);
    }

    [Fact]
    public void Csv_rows_with_text_keep_their_cells_and_quoted_commas()
    {
        var rows = Payloads.Decode("KS,128,\"area, 415\",no\n"u8, "text/csv");
        var cells = Assert.Single(rows).Cells!;
        Assert.Equal(new object?[] { "KS", 128.0, "area, 415", "no" }, cells);
        Assert.Null(rows[0].Features);
    }

    [Theory]
    [InlineData("1,2\n3\n", "Line 2 has 1 values but line 1 has 2")]
    [InlineData("a,\"open\n", "not closed")]
    [InlineData("\n\n", "no CSV rows")]
    public void Malformed_csv_is_a_400_naming_the_problem(string body, string message)
    {
        var error = Assert.Throws<PayloadException>(() => Payloads.Decode(Encoding.UTF8.GetBytes(body), "text/csv"));
        Assert.Equal(400, error.Status);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"instances\": [[1, 2], [3, 4]]}")]
    [InlineData("{\"instances\": [{\"features\": [1, 2]}, {\"features\": [3, 4]}]}")]
    [InlineData("[[1, 2], [3, 4]]")]
    public void Json_instances_in_sagemakers_shapes_decode_alike(string body)
    {
        var rows = Payloads.Decode(Encoding.UTF8.GetBytes(body), "application/json");
        Assert.Equal([[1f, 2f], [3f, 4f]], rows.Select(row => row.Features!).ToArray());
    }

    [Fact]
    public void Json_text_instances_and_json_lines_decode()
    {
        var text = Payloads.Decode("{\"instances\": [\"great coffee\", {\"text\": \"awful\"}]}"u8, "application/json");
        Assert.Equal(["great coffee", "awful"], text.Select(row => row.Text));
        var lines = Payloads.Decode("[1, 2]\n[3, 4]\n"u8, "application/jsonlines");
        Assert.Equal(2, lines.Count);
    }

    [Theory]
    [InlineData("{\"instances\": [[1, {\"a\": 1}]]}", "values must be numbers")]
    [InlineData("{\"instances\": 5}", "must be a list")]
    [InlineData("{not json", "not valid JSON")]
    public void Bad_json_is_a_400(string body, string message)
    {
        var error = Assert.Throws<PayloadException>(() => Payloads.Decode(Encoding.UTF8.GetBytes(body), "application/json"));
        Assert.Equal(400, error.Status);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_content_type_is_a_415()
    {
        var error = Assert.Throws<PayloadException>(() => Payloads.Decode("1"u8, "application/x-recordio-protobuf"));
        Assert.Equal(415, error.Status);
    }

    [Fact]
    public void Predictions_answer_in_the_requests_format_unless_accept_says_otherwise()
    {
        PredictionRow[] predictions = [new(0.25, "no", [0.75, 0.25]), new(double.NaN)];
        var (csv, csvType) = Payloads.Encode(predictions, null, "text/csv");
        Assert.Equal(("0.25\nNaN\n", "text/csv"), (Encoding.UTF8.GetString(csv), csvType));

        var (json, jsonType) = Payloads.Encode(predictions, "application/json", "text/csv");
        Assert.Equal("application/json", jsonType);
        using var document = JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("predictions")[0];
        Assert.Equal(0.25, first.GetProperty("score").GetDouble());
        Assert.Equal("no", first.GetProperty("predicted_label").GetString());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("predictions")[1].GetProperty("score").ValueKind);

        Assert.Equal(406, Assert.Throws<PayloadException>(() => Payloads.Encode(predictions, "image/png", "text/csv")).Status);
    }

    [Fact]
    public void Vector_predictions_are_comma_separated_in_csv()
    {
        var (csv, _) = Payloads.Encode([new PredictionRow(0, Vector: [1.5, -2])], "text/csv", "text/csv");
        Assert.Equal("1.5,-2\n", Encoding.UTF8.GetString(csv));
    }
}
