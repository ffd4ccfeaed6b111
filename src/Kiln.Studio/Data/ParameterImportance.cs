using System.Globalization;

namespace Kiln.Studio.Data;

/// <summary>How strongly one tuned hyperparameter goes with the objective across the trials, 0 (not at all) to 1.</summary>
public sealed record ParameterImportance(string Parameter, string Method, double? Score, int Trials);

/// <summary>
/// Parameter importance from the finished trials, by a simple, explainable measure rather than a fitted model:
/// <list type="bullet">
/// <item>numeric parameters: the absolute Spearman rank correlation |ρ| between the parameter and the objective
/// (monotonic association, insensitive to log or linear scaling of the range);</item>
/// <item>categorical parameters: the correlation ratio η, the square root of the share of the objective's variance
/// that the category means explain (a one-way variance decomposition).</item>
/// </list>
/// Both are 0–1. With few trials they are rough: fewer than 3 trials, or a parameter or objective that never varies,
/// gives no score.
/// </summary>
public static class ParameterImportanceCalculator
{
    public const string Spearman = "|Spearman ρ|";
    public const string CorrelationRatio = "η (correlation ratio)";

    public static IReadOnlyList<ParameterImportance> Compute(IReadOnlyList<(IReadOnlyDictionary<string, string> Parameters, double Objective)> trials)
    {
        var names = trials.SelectMany(trial => trial.Parameters.Keys).Distinct().Order(StringComparer.Ordinal);
        return names.Select(name =>
        {
            var pairs = trials.Where(trial => trial.Parameters.ContainsKey(name)).Select(trial => (Value: trial.Parameters[name], trial.Objective)).ToList();
            var numbers = pairs.Select(pair => double.TryParse(pair.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : (double?)null).ToList();
            var numeric = numbers.All(x => x is not null);
            var score = pairs.Count < 3
                ? null
                : numeric
                    ? AbsoluteSpearman(numbers.Select(x => x!.Value).ToList(), pairs.Select(pair => pair.Objective).ToList())
                    : Eta(pairs);
            return new ParameterImportance(name, numeric ? Spearman : CorrelationRatio, score, pairs.Count);
        }).OrderByDescending(importance => importance.Score ?? -1).ToList();
    }

    public static double? AbsoluteSpearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y)) is { } r ? Math.Abs(r) : null;

    /// <summary>Ranks from 1, ties sharing their average rank (so ρ is Pearson's r of the ranks).</summary>
    public static IReadOnlyList<double> Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToList();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Count;)
        {
            var end = start;
            while (end + 1 < order.Count && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            for (var i = start; i <= end; i++)
            {
                ranks[order[i]] = ((start + end) / 2.0) + 1;
            }

            start = end + 1;
        }

        return ranks;
    }

    private static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var meanX = x.Average();
        var meanY = y.Average();
        double cov = 0, varX = 0, varY = 0;
        for (var i = 0; i < x.Count; i++)
        {
            cov += (x[i] - meanX) * (y[i] - meanY);
            varX += (x[i] - meanX) * (x[i] - meanX);
            varY += (y[i] - meanY) * (y[i] - meanY);
        }

        return varX == 0 || varY == 0 ? null : cov / Math.Sqrt(varX * varY);
    }

    private static double? Eta(IReadOnlyList<(string Value, double Objective)> pairs)
    {
        var mean = pairs.Average(pair => pair.Objective);
        var total = pairs.Sum(pair => (pair.Objective - mean) * (pair.Objective - mean));
        var between = pairs.GroupBy(pair => pair.Value).Sum(group =>
        {
            var groupMean = group.Average(pair => pair.Objective);
            return group.Count() * (groupMean - mean) * (groupMean - mean);
        });
        return total == 0 ? null : Math.Sqrt(between / total);
    }
}
