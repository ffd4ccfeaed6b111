using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Serving.Explain;
using Kiln.Serving.Models;

namespace Kiln.Serving.Tests.Explain;

public sealed class OnlineExplainerTests
{
    private static readonly double[] Weights = [2, -1, 0.5];

    [Fact]
    public async Task A_linear_model_gets_its_exact_shapley_values_in_sagemakers_explainer_json()
    {
        var spec = Spec(baseline: "1,1,1", headers: ["a", "b", "c"]);
        var calls = new List<int>();
        var answer = await ExplainAsync(spec, "3,1,5\n0,2,1\n", "`true`", calls);

        Assert.Equal("1.0", answer.GetProperty("version").GetString());
        Assert.Equal("text/csv", answer.GetProperty("predictions").GetProperty("content_type").GetString());
        Assert.Equal(["churn"], answer.GetProperty("label_headers").EnumerateArray().Select(l => l.GetString()));
        var records = answer.GetProperty("explanations").GetProperty("kernel_shap");
        Assert.Equal(2, records.GetArrayLength());
        double[][] rows = [[3, 1, 5], [0, 2, 1]];
        for (var r = 0; r < 2; r++)
        {
            var features = records[r].EnumerateArray().ToList();
            Assert.Equal(["a", "b", "c"], features.Select(f => f.GetProperty("feature_header").GetString()));
            for (var j = 0; j < 3; j++)
            {
                var attribution = features[j].GetProperty("attributions")[0].GetProperty("attribution");
                Assert.Equal(Weights[j] * (rows[r][j] - 1), Assert.Single(attribution.EnumerateArray()).GetDouble(), 9);
            }
        }

        // Each record's coalitions go to the model in one batch, not one call per coalition.
        Assert.True(calls.Count <= 2 + rows.Length, string.Join(",", calls));
    }

    [Fact]
    public async Task Records_the_expression_leaves_out_are_null_and_none_explained_is_an_empty_object()
    {
        var spec = Spec(baseline: "0,0,0");
        var some = await ExplainAsync(spec, "1,0,0\n0,1,0\n", "[0]>`0`", []);
        var records = some.GetProperty("explanations").GetProperty("kernel_shap");
        Assert.Equal(JsonValueKind.Array, records[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, records[1].ValueKind);
        Assert.False(records[0][0].TryGetProperty("feature_header", out _));

        var none = await ExplainAsync(spec, "1,0,0\n", "`false`", []);
        Assert.Empty(none.GetProperty("explanations").EnumerateObject());
        Assert.Equal("2\n", none.GetProperty("predictions").GetProperty("data").GetString());
    }

    [Fact]
    public async Task Max_record_count_splits_the_synthetic_rows_into_several_model_calls()
    {
        var spec = Spec(baseline: "0,0,0") with { Inference = new ClarifyInferenceSpec(MaxRecordCount: 2) };
        var calls = new List<int>();
        await ExplainAsync(spec, "1,1,1\n", "`true`", calls);
        Assert.All(calls.Skip(1), count => Assert.True(count <= 2));
    }

    [Fact]
    public async Task A_baseline_narrower_than_the_records_is_a_validation_error()
    {
        var error = await Assert.ThrowsAsync<KilnException>(() => ExplainAsync(Spec(baseline: "0,0"), "1,1,1\n", "`true`", []));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
    }

    private static ClarifyExplainerSpec Spec(string baseline, IReadOnlyList<string>? headers = null) =>
        new(null, new ClarifyInferenceSpec(LabelHeaders: ["churn"], FeatureHeaders: headers), "text/csv", baseline, NumberOfSamples: null, UseLogit: null, Seed: 1);

    private static async Task<JsonElement> ExplainAsync(ClarifyExplainerSpec spec, string csv, string expression, List<int> calls)
    {
        var request = new InvocationRequest("ep", Encoding.UTF8.GetBytes(csv), "text/csv", "text/csv", EnableExplanations: expression);
        var first = Linear(Encoding.UTF8.GetBytes(csv));
        var body = await OnlineExplainer.ExplainAsync(spec, request, first, (rows, _, _) =>
        {
            var answer = Linear(rows);
            calls.Add(answer.Body.Count(b => b == '\n'));
            return ValueTask.FromResult(answer);
        }, CancellationToken.None);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static ServedAnswer Linear(ReadOnlyMemory<byte> csv)
    {
        var lines = Encoding.UTF8.GetString(csv.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var scores = lines.Select(line => line.Split(',').Select((cell, j) => Weights[j] * double.Parse(cell, CultureInfo.InvariantCulture)).Sum());
        return new ServedAnswer(Encoding.UTF8.GetBytes(string.Concat(scores.Select(s => s.ToString(CultureInfo.InvariantCulture) + "\n"))), "text/csv");
    }
}
