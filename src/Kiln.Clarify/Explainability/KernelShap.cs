using Kiln.Clarify.Config;

namespace Kiln.Clarify.Explainability;

public sealed record KernelShapOptions(int? NumSamples = null, int Seed = 0, bool UseLogit = false);

/// <summary>Local SHAP values: one row of attributions per explained row, and the model's outputs they explain.</summary>
public sealed record ShapValues(double ExpectedValue, double[] Predictions, double[][] Values);

/// <summary>
/// Kernel SHAP: for each row, the model is evaluated on coalitions (features from the row, the rest from each
/// baseline row, averaged over the baseline), and the attributions are the weighted least-squares fit of those
/// outputs with Shapley kernel weights, constrained so they add up to f(x) − E[f(baseline)] exactly. With
/// use_logit the outputs are taken in log-odds after averaging, as the shap package's logit link does.
/// Features whose value equals every baseline row's get 0 and are left out of the fit.
/// </summary>
public sealed class KernelShap(IBatchPredictor predictor, KernelShapOptions options)
{
    public async Task<ShapValues> ExplainAsync(IReadOnlyList<string?[]> rows, IReadOnlyList<string?[]> baseline, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            throw new ClarifyValidationException("There are no rows to explain.");
        }
        if (baseline.Count == 0)
        {
            throw new ClarifyValidationException("The SHAP baseline has no rows.");
        }
        var features = rows[0].Length;
        if (features == 0)
        {
            throw new ClarifyValidationException("There are no features to explain.");
        }
        if (rows.Any(r => r.Length != features) || baseline.Any(b => b.Length != features))
        {
            throw new ClarifyValidationException(
                $"Every row and every baseline row must have the {features} feature values (baseline rows have {baseline[0].Length}).");
        }
        var expected = Link(Mean(await PredictChecked(baseline, cancellationToken)));
        var predictions = await PredictChecked(rows, cancellationToken);
        var values = new double[rows.Count][];
        var plans = new Dictionary<int, IReadOnlyList<Coalition>>();
        var samples = options.NumSamples ?? CoalitionPlan.DefaultSamples(features);
        for (var r = 0; r < rows.Count; r++)
        {
            var varying = Enumerable.Range(0, features).Where(j => baseline.Any(b => b[j] != rows[r][j])).ToArray();
            var fx = Link(predictions[r]);
            values[r] = new double[features];
            if (varying.Length == 1)
            {
                values[r][varying[0]] = fx - expected;
            }
            else if (varying.Length > 1)
            {
                if (!plans.TryGetValue(varying.Length, out var plan))
                {
                    plan = CoalitionPlan.Create(varying.Length, samples, options.Seed);
                    plans[varying.Length] = plan;
                }
                var outputs = await CoalitionOutputs(rows[r], baseline, varying, plan, cancellationToken);
                var phi = Fit(plan, outputs, fx, expected);
                for (var k = 0; k < varying.Length; k++)
                {
                    values[r][varying[k]] = phi[k];
                }
            }
        }
        return new ShapValues(expected, [.. predictions.Select(Link)], values);
    }

    private async Task<double[]> CoalitionOutputs(string?[] row, IReadOnlyList<string?[]> baseline, int[] varying, IReadOnlyList<Coalition> plan, CancellationToken ct)
    {
        var synthetic = new List<string?[]>(plan.Count * baseline.Count);
        foreach (var coalition in plan)
        {
            foreach (var b in baseline)
            {
                var mixed = (string?[])b.Clone();
                for (var k = 0; k < varying.Length; k++)
                {
                    if (coalition.Members[k])
                    {
                        mixed[varying[k]] = row[varying[k]];
                    }
                }
                synthetic.Add(mixed);
            }
        }
        var scores = await PredictChecked(synthetic, ct);
        var outputs = new double[plan.Count];
        for (var c = 0; c < plan.Count; c++)
        {
            var sum = 0.0;
            for (var b = 0; b < baseline.Count; b++)
            {
                sum += scores[(c * baseline.Count) + b];
            }
            outputs[c] = Link(sum / baseline.Count);
        }
        return outputs;
    }

    /// <summary>
    /// Weighted least squares with the efficiency constraint substituted in: the last feature's attribution is
    /// (f(x) − E) minus the others', so the fit runs over the first M−1.
    /// </summary>
    private static double[] Fit(IReadOnlyList<Coalition> plan, double[] outputs, double fx, double expected)
    {
        var m = plan[0].Members.Length;
        var total = fx - expected;
        var n = m - 1;
        var xtwx = new double[n, n];
        var xtwy = new double[n];
        var z = new double[n];
        for (var c = 0; c < plan.Count; c++)
        {
            var members = plan[c].Members;
            var last = members[m - 1] ? 1.0 : 0.0;
            for (var j = 0; j < n; j++)
            {
                z[j] = (members[j] ? 1.0 : 0.0) - last;
            }
            var y = outputs[c] - expected - (last * total);
            var w = plan[c].Weight;
            for (var i = 0; i < n; i++)
            {
                if (z[i] == 0)
                {
                    continue;
                }
                var wz = w * z[i];
                xtwy[i] += wz * y;
                for (var j = 0; j < n; j++)
                {
                    xtwx[i, j] += wz * z[j];
                }
            }
        }
        var phi = LinearSolver.Solve(xtwx, xtwy);
        var result = new double[m];
        Array.Copy(phi, result, n);
        result[m - 1] = total - phi.Sum();
        return result;
    }

    private async Task<double[]> PredictChecked(IReadOnlyList<string?[]> rows, CancellationToken ct)
    {
        var scores = await predictor.PredictAsync(rows, ct);
        if (scores.Length != rows.Count)
        {
            throw new ClarifyValidationException($"The model returned {scores.Length} predictions for {rows.Count} rows.");
        }
        if (scores.Any(s => !double.IsFinite(s)))
        {
            throw new ClarifyValidationException("The model returned a prediction that is not a finite number.");
        }
        return scores;
    }

    private double Link(double p)
    {
        if (!options.UseLogit)
        {
            return p;
        }
        if (p <= 0 || p >= 1)
        {
            throw new ClarifyValidationException($"use_logit needs probabilities strictly between 0 and 1, but the model returned {p}.");
        }
        return Math.Log(p / (1 - p));
    }

    private static double Mean(double[] values) => values.Average();
}
