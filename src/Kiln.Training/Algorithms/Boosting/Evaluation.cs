namespace Kiln.Training.Algorithms.Boosting;

/// <summary>
/// SageMaker XGBoost's evaluation metrics computed from predictions: auc, aucpr, logloss, error, accuracy and
/// f1 for binary; merror, mlogloss and accuracy for multiclass; rmse, mae, mse and r2 for regression.
/// </summary>
internal static class Evaluation
{
    private const double Epsilon = 1e-15;

    /// <summary><paramref name="outputs"/> holds one value per row (a probability or a score), or <paramref name="classes"/> probabilities per row.</summary>
    public static Dictionary<string, double> Compute(string problem, double[] outputs, float[] labels, int classes) => problem switch
    {
        "binary" => Binary(outputs, labels),
        "multiclass" => Multiclass(outputs, labels, classes),
        _ => Regression(outputs, labels),
    };

    /// <summary>Whether a larger value of the metric is better (auc, accuracy, …) or a smaller one (rmse, logloss, …).</summary>
    public static bool HigherIsBetter(string metric) => metric is "auc" or "aucpr" or "accuracy" or "f1" or "r2" or "map" or "ndcg";

    private static Dictionary<string, double> Binary(double[] probabilities, float[] labels)
    {
        int truePositives = 0, falsePositives = 0, falseNegatives = 0, correct = 0;
        var logloss = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var positive = labels[i] > 0.5f;
            var predicted = probabilities[i] >= 0.5;
            correct += positive == predicted ? 1 : 0;
            truePositives += positive && predicted ? 1 : 0;
            falsePositives += !positive && predicted ? 1 : 0;
            falseNegatives += positive && !predicted ? 1 : 0;
            var p = Math.Clamp(probabilities[i], Epsilon, 1 - Epsilon);
            logloss -= positive ? Math.Log(p) : Math.Log(1 - p);
        }

        var accuracy = correct / (double)labels.Length;
        var precision = truePositives + falsePositives == 0 ? 0 : truePositives / (double)(truePositives + falsePositives);
        var recall = truePositives + falseNegatives == 0 ? 0 : truePositives / (double)(truePositives + falseNegatives);
        return new Dictionary<string, double>
        {
            ["auc"] = Auc(probabilities, labels),
            ["aucpr"] = AveragePrecision(probabilities, labels),
            ["logloss"] = logloss / labels.Length,
            ["error"] = 1 - accuracy,
            ["accuracy"] = accuracy,
            ["f1"] = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall),
        };
    }

    /// <summary>The area under the ROC curve: the chance a random positive outscores a random negative, ties counting half.</summary>
    public static double Auc(double[] scores, float[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double positives = 0, rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            var averageRank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                if (labels[order[k]] > 0.5f)
                {
                    positives++;
                    rankSum += averageRank;
                }
            }

            start = end + 1;
        }

        var negatives = scores.Length - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Average precision: the precision at each positive, in order of falling score.</summary>
    private static double AveragePrecision(double[] scores, float[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        var positives = labels.Count(label => label > 0.5f);
        if (positives == 0)
        {
            return double.NaN;
        }

        double hits = 0, sum = 0;
        for (var k = 0; k < order.Length; k++)
        {
            if (labels[order[k]] > 0.5f)
            {
                hits++;
                sum += hits / (k + 1);
            }
        }

        return sum / positives;
    }

    private static Dictionary<string, double> Multiclass(double[] probabilities, float[] labels, int classes)
    {
        var correct = 0;
        var logloss = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = probabilities.AsSpan(i * classes, classes);
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            var label = (int)labels[i];
            correct += best == label ? 1 : 0;
            logloss -= Math.Log(Math.Clamp(row[label], Epsilon, 1 - Epsilon));
        }

        var accuracy = correct / (double)labels.Length;
        return new Dictionary<string, double> { ["merror"] = 1 - accuracy, ["mlogloss"] = logloss / labels.Length, ["accuracy"] = accuracy };
    }

    private static Dictionary<string, double> Regression(double[] predictions, float[] labels)
    {
        double squared = 0, absolute = 0, mean = labels.Average(label => (double)label), total = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var error = predictions[i] - labels[i];
            squared += error * error;
            absolute += Math.Abs(error);
            total += (labels[i] - mean) * (labels[i] - mean);
        }

        var mse = squared / labels.Length;
        return new Dictionary<string, double>
        {
            ["rmse"] = Math.Sqrt(mse),
            ["mae"] = absolute / labels.Length,
            ["mse"] = mse,
            ["r2"] = total == 0 ? 0 : 1 - (squared / total),
        };
    }
}
