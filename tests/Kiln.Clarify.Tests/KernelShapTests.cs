using System.Globalization;
using Kiln.Clarify.Config;
using Kiln.Clarify.Explainability;

namespace Kiln.Clarify.Tests;

public sealed class KernelShapTests
{
    /// <summary>A model written in code: parses the CSV cells and applies a function.</summary>
    internal sealed class FunctionPredictor(Func<double[], double> f) : IBatchPredictor
    {
        public int Calls { get; private set; }

        public Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(rows.Select(r => f([.. r.Select(c => double.Parse(c!, CultureInfo.InvariantCulture))])).ToArray());
        }
    }

    internal static string?[][] Rows(int count, int features, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, features)
            .Select(_ => (string?)Math.Round((random.NextDouble() * 4) - 2, 3).ToString("R", CultureInfo.InvariantCulture)).ToArray())];
    }

    private static double Nonlinear(double[] x) =>
        Math.Sin(x[0]) * x[1] + (x[2] * x[2]) - (0.5 * x[0] * x[3]) + Math.Exp(0.1 * x.Skip(4).Sum());

    [Theory]
    [InlineData(4, null)] // all 14 coalitions: exact Shapley values
    [InlineData(8, 60)] // sampled coalitions
    [InlineData(12, 300)]
    public async Task Attributions_add_up_to_the_prediction_minus_the_expected_value(int features, int? samples)
    {
        var rows = Rows(6, features, 1);
        var baseline = Rows(5, features, 2);
        var model = new FunctionPredictor(Nonlinear);
        var shap = await new KernelShap(model, new KernelShapOptions(samples, Seed: 3)).ExplainAsync(rows, baseline, default);

        var expected = baseline.Select(b => Nonlinear([.. b.Select(c => double.Parse(c!, CultureInfo.InvariantCulture))])).Average();
        Assert.Equal(expected, shap.ExpectedValue, 12);
        for (var r = 0; r < rows.Length; r++)
        {
            var fx = Nonlinear([.. rows[r].Select(c => double.Parse(c!, CultureInfo.InvariantCulture))]);
            Assert.Equal(fx, shap.Predictions[r], 12);
            Assert.True(Math.Abs(shap.Values[r].Sum() - (fx - expected)) <= 1e-9, $"row {r}: {shap.Values[r].Sum()} vs {fx - expected}");
        }
    }

    [Theory]
    [InlineData(5, null)]
    [InlineData(20, 200)]
    public async Task A_linear_model_gets_its_weight_times_the_distance_from_the_baseline_mean(int features, int? samples)
    {
        var weights = Enumerable.Range(0, features).Select(i => (i % 3) - 1 + (0.25 * i)).ToArray();
        double Linear(double[] x) => 0.7 + x.Select((v, i) => v * weights[i]).Sum();
        var rows = Rows(10, features, 5);
        var baseline = Rows(7, features, 6);
        var shap = await new KernelShap(new FunctionPredictor(Linear), new KernelShapOptions(samples, Seed: 1)).ExplainAsync(rows, baseline, default);

        var mean = Enumerable.Range(0, features)
            .Select(i => baseline.Average(b => double.Parse(b[i]!, CultureInfo.InvariantCulture))).ToArray();
        for (var r = 0; r < rows.Length; r++)
        {
            for (var i = 0; i < features; i++)
            {
                var want = weights[i] * (double.Parse(rows[r][i]!, CultureInfo.InvariantCulture) - mean[i]);
                Assert.True(Math.Abs(want - shap.Values[r][i]) <= 1e-9, $"row {r} feature {i}: {shap.Values[r][i]} vs {want}");
            }
        }
    }

    [Fact]
    public async Task Exact_enumeration_matches_shapley_values_computed_from_their_definition()
    {
        const int features = 4;
        var rows = Rows(3, features, 8);
        var baseline = Rows(4, features, 9);
        var shap = await new KernelShap(new FunctionPredictor(Nonlinear), new KernelShapOptions()).ExplainAsync(rows, baseline, default);
        for (var r = 0; r < rows.Length; r++)
        {
            var x = rows[r].Select(c => double.Parse(c!, CultureInfo.InvariantCulture)).ToArray();
            double Value(int mask) => baseline.Average(b =>
                Nonlinear([.. Enumerable.Range(0, features).Select(j => (mask & (1 << j)) != 0 ? x[j] : double.Parse(b[j]!, CultureInfo.InvariantCulture))]));
            for (var i = 0; i < features; i++)
            {
                var phi = 0.0;
                for (var mask = 0; mask < 1 << features; mask++)
                {
                    if ((mask & (1 << i)) != 0)
                    {
                        continue;
                    }
                    var s = int.PopCount(mask);
                    var weight = Factorial(s) * Factorial(features - s - 1) / Factorial(features);
                    phi += weight * (Value(mask | (1 << i)) - Value(mask));
                }
                Assert.True(Math.Abs(phi - shap.Values[r][i]) <= 1e-9, $"row {r} feature {i}: {shap.Values[r][i]} vs {phi}");
            }
        }
    }

    private static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    [Fact]
    public async Task The_same_seed_gives_the_same_values_and_another_seed_other_samples()
    {
        var rows = Rows(3, 15, 1);
        var baseline = Rows(3, 15, 2);
        async Task<double[][]> Run(int seed) =>
            (await new KernelShap(new FunctionPredictor(Nonlinear), new KernelShapOptions(100, seed)).ExplainAsync(rows, baseline, default)).Values;
        var first = await Run(7);
        Assert.Equal(first, await Run(7));
        Assert.NotEqual(first, await Run(8));
    }

    [Fact]
    public async Task With_use_logit_attributions_are_in_log_odds()
    {
        static double Logistic(double[] x) => 1 / (1 + Math.Exp(-((0.8 * x[0]) - (0.3 * x[1] * x[2]) + (0.2 * x[3]))));
        var rows = Rows(4, 4, 3);
        var baseline = Rows(3, 4, 4);
        var shap = await new KernelShap(new FunctionPredictor(Logistic), new KernelShapOptions(UseLogit: true)).ExplainAsync(rows, baseline, default);
        static double Logit(double p) => Math.Log(p / (1 - p));
        var expected = Logit(baseline.Average(b => Logistic([.. b.Select(c => double.Parse(c!, CultureInfo.InvariantCulture))])));
        Assert.Equal(expected, shap.ExpectedValue, 12);
        for (var r = 0; r < rows.Length; r++)
        {
            var fx = Logit(Logistic([.. rows[r].Select(c => double.Parse(c!, CultureInfo.InvariantCulture))]));
            Assert.True(Math.Abs(shap.Values[r].Sum() - (fx - expected)) <= 1e-9);
        }
        await Assert.ThrowsAsync<ClarifyValidationException>(() =>
            new KernelShap(new FunctionPredictor(_ => 1.0), new KernelShapOptions(UseLogit: true)).ExplainAsync(rows, baseline, default));
    }

    [Fact]
    public async Task A_feature_equal_to_every_baseline_row_gets_nothing()
    {
        string?[][] rows = [["1", "5", "2"]];
        string?[][] baseline = [["0", "5", "0"], ["1", "5", "1"]];
        var shap = await new KernelShap(new FunctionPredictor(x => (x[0] * x[1]) + x[2]), new KernelShapOptions()).ExplainAsync(rows, baseline, default);
        Assert.Equal(0, shap.Values[0][1]);
        Assert.Equal((1 * 5) + 2 - 3.0, shap.Values[0].Sum(), 12);
    }

    [Fact]
    public async Task Bad_inputs_are_rejected_with_a_clear_message()
    {
        var model = new FunctionPredictor(x => x.Sum());
        var shap = new KernelShap(model, new KernelShapOptions());
        var e = await Assert.ThrowsAsync<ClarifyValidationException>(() => shap.ExplainAsync([["1", "2"]], [["1"]], default));
        Assert.Contains("feature values", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ClarifyValidationException>(() => shap.ExplainAsync([["1", "2"]], [], default));
        await Assert.ThrowsAsync<ClarifyValidationException>(() => shap.ExplainAsync([], [["1", "2"]], default));
        var shortAnswer = new KernelShap(new ShortPredictor(), new KernelShapOptions());
        await Assert.ThrowsAsync<ClarifyValidationException>(() => shortAnswer.ExplainAsync([["1", "2"]], [["0", "0"]], default));
    }

    private sealed class ShortPredictor : IBatchPredictor
    {
        public Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken) => Task.FromResult(new double[] { 1 });
    }

    [Theory]
    [InlineData(ShapAggregation.MeanAbs, new[] { 5 / 3.0, 1.0 })]
    [InlineData(ShapAggregation.MeanSq, new[] { 11 / 3.0, 1.0 })]
    [InlineData(ShapAggregation.Median, new[] { -1.0, 1.0 })]
    public void Global_values_aggregate_local_values(ShapAggregation method, double[] expected)
    {
        double[][] local = [[1, 1], [-1, -1], [-3, 1]];
        Assert.Equal(expected.Select(v => Math.Round(v, 12)), GlobalShap.Aggregate(local, method).Select(v => Math.Round(v, 12)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public void Coalition_weights_sum_to_one_and_never_include_the_empty_or_full_set(int features)
    {
        var plan = CoalitionPlan.Create(features, 50, 4);
        Assert.Equal(1.0, plan.Sum(c => c.Weight), 9);
        Assert.All(plan, c => Assert.InRange(c.Members.Count(m => m), 1, features - 1));
        Assert.Equal(plan.Count, plan.Select(c => string.Concat(c.Members.Select(m => m ? '1' : '0'))).Distinct().Count());
    }
}
