using Kiln.Core.AutoML;

namespace Kiln.AutoML.Evaluation;

/// <summary>
/// Autopilot's standard metrics, computed the same way for every candidate from its predictions on the validation
/// rows. The positive class of a binary problem is the second in sorted order (1 of 0/1, yes of no/yes, M of B/M).
/// </summary>
public static class StandardMetrics
{
    public static Dictionary<string, double> Classification(IReadOnlyList<string> classes, IReadOnlyList<string> actual, IReadOnlyList<string?> predicted, IReadOnlyList<IReadOnlyList<double>?> probabilities)
    {
        var n = actual.Count;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["Accuracy"] = Enumerable.Range(0, n).Count(i => actual[i] == predicted[i]) / (double)n,
        };
        var perClass = classes.Select(label =>
        {
            var tp = Enumerable.Range(0, n).Count(i => actual[i] == label && predicted[i] == label);
            var fp = Enumerable.Range(0, n).Count(i => actual[i] != label && predicted[i] == label);
            var fn = Enumerable.Range(0, n).Count(i => actual[i] == label && predicted[i] != label);
            var precision = tp + fp == 0 ? 0 : tp / (double)(tp + fp);
            var recall = tp + fn == 0 ? 0 : tp / (double)(tp + fn);
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return (Precision: precision, Recall: recall, F1: f1, Support: tp + fn);
        }).ToList();
        var present = perClass.Where(c => c.Support > 0).ToList();
        metrics["BalancedAccuracy"] = present.Count == 0 ? 0 : present.Average(c => c.Recall);
        if (classes.Count == 2)
        {
            metrics["F1"] = perClass[1].F1;
            metrics["Precision"] = perClass[1].Precision;
            metrics["Recall"] = perClass[1].Recall;
            if (probabilities.All(p => p is { Count: 2 }))
            {
                metrics["AUC"] = Auc(actual.Select(label => label == classes[1]).ToArray(), probabilities.Select(p => p![1]).ToArray());
            }
        }
        else
        {
            metrics["F1macro"] = perClass.Average(c => c.F1);
            metrics["PrecisionMacro"] = perClass.Average(c => c.Precision);
            metrics["RecallMacro"] = perClass.Average(c => c.Recall);
        }

        if (probabilities.All(p => p is not null && p.Count == classes.Count))
        {
            metrics["LogLoss"] = -Enumerable.Range(0, n).Average(i =>
            {
                var index = IndexOf(classes, actual[i]);
                return Math.Log(Math.Clamp(index < 0 ? 0 : probabilities[i]![index], 1e-15, 1));
            });
        }

        return metrics;
    }

    public static Dictionary<string, double> Regression(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        var n = actual.Count;
        var mse = Enumerable.Range(0, n).Average(i => (actual[i] - predicted[i]) * (actual[i] - predicted[i]));
        var mean = actual.Average();
        var total = actual.Sum(value => (value - mean) * (value - mean));
        var nonZero = Enumerable.Range(0, n).Where(i => actual[i] != 0).ToList();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["MSE"] = mse,
            ["RMSE"] = Math.Sqrt(mse),
            ["MAE"] = Enumerable.Range(0, n).Average(i => Math.Abs(actual[i] - predicted[i])),
            ["R2"] = total == 0 ? 0 : 1 - (mse * n / total),
        };
        if (nonZero.Count > 0)
        {
            metrics["MAPE"] = nonZero.Average(i => Math.Abs((actual[i] - predicted[i]) / actual[i])) * 100;
        }

        return metrics;
    }

    /// <summary>Area under the ROC curve by ranks (Mann–Whitney U), ties sharing their average rank.</summary>
    public static double Auc(bool[] positive, double[] score)
    {
        var order = Enumerable.Range(0, score.Length).OrderBy(i => score[i]).ToArray();
        var ranks = new double[score.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && score[order[j + 1]] == score[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0 + 1;
            }

            i = j + 1;
        }

        var positives = positive.Count(p => p);
        var negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return 0.5;
        }

        var sum = Enumerable.Range(0, positive.Length).Where(i => positive[i]).Sum(i => ranks[i]);
        return (sum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    /// <summary>The metric's value as a loss (lower is better), for ranking.</summary>
    public static double Loss(AutoMLObjective objective, double value) => objective.Maximize ? -value : value;

    private static int IndexOf(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] == value)
            {
                return i;
            }
        }

        return -1;
    }
}
