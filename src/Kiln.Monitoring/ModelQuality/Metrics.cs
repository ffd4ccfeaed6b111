using System.Globalization;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>Model Monitor's model-quality metrics of a set of labeled predictions.</summary>
public static class Metrics
{
    private const int MinSamplesForDeviation = 200;
    private const int Resamples = 5;
    private const int MaxCurvePoints = 1000;

    public static ModelQualityStatistics Compute(IReadOnlyList<LabeledPrediction> pairs, ModelQualityConfig config)
    {
        if (pairs.Count == 0)
        {
            throw new MonitoringInputException("There are no labeled predictions to evaluate.");
        }

        Func<IReadOnlyList<LabeledPrediction>, OrderedDictionary<string, double>> values = config.ProblemType switch
        {
            ProblemType.BinaryClassification => p => Binary(p, config.ProbabilityThreshold),
            ProblemType.MulticlassClassification => Multiclass,
            _ => Regression,
        };
        var full = values(pairs);
        var samples = new List<OrderedDictionary<string, double>>();
        if (pairs.Count >= MinSamplesForDeviation)
        {
            var random = new Random(0);
            var size = (int)(pairs.Count * 0.8);
            for (var s = 0; s < Resamples; s++)
            {
                var indices = Enumerable.Range(0, pairs.Count).ToArray();
                random.Shuffle(indices);
                samples.Add(values(indices.Take(size).Select(i => pairs[i]).ToList()));
            }
        }

        var metrics = new OrderedDictionary<string, Metric>();
        foreach (var (name, value) in full)
        {
            metrics[name] = new Metric(value, samples.Count == 0 ? double.NaN : StdDev(samples.Select(s => s[name]).ToList()));
        }

        return config.ProblemType switch
        {
            ProblemType.BinaryClassification => BinaryStatistics(pairs, metrics, config.ProbabilityThreshold),
            ProblemType.MulticlassClassification => new ModelQualityStatistics(config.ProblemType, pairs.Count, metrics, Confusion(pairs), null, null),
            _ => new ModelQualityStatistics(config.ProblemType, pairs.Count, metrics, null, null, null),
        };
    }

    private static double StdDev(List<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    internal static bool BinaryLabel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "1" or "1.0" or "true" => true,
        "0" or "0.0" or "false" => false,
        _ => throw new MonitoringInputException($"The binary label '{text}' is not 0, 1, true or false."),
    };

    /// <summary>The predicted class: the label itself, or the probability against the threshold.</summary>
    internal static bool BinaryPrediction(LabeledPrediction pair, double threshold) =>
        pair.Probability is { } p && !IsLabel(pair.Predicted) ? p >= threshold : BinaryLabel(pair.Predicted);

    private static bool IsLabel(string text) => text.Trim().ToLowerInvariant() is "1" or "1.0" or "true" or "0" or "0.0" or "false";

    private static OrderedDictionary<string, double> Binary(IReadOnlyList<LabeledPrediction> pairs, double threshold)
    {
        long tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var pair in pairs)
        {
            var actual = BinaryLabel(pair.Actual);
            var predicted = BinaryPrediction(pair, threshold);
            _ = (actual, predicted) switch
            {
                (true, true) => tp++,
                (false, true) => fp++,
                (false, false) => tn++,
                (true, false) => fn++,
            };
        }

        double n = pairs.Count;
        var recall = Ratio(tp, tp + fn);
        var precision = Ratio(tp, tp + fp);
        var positives = (tp + fn) / n;
        var bestRecall = tp + fn > 0 ? 1.0 : 0.0;
        return new OrderedDictionary<string, double>
        {
            ["recall"] = recall,
            ["precision"] = precision,
            ["accuracy"] = (tp + tn) / n,
            ["recall_best_constant_classifier"] = bestRecall,
            ["precision_best_constant_classifier"] = positives,
            ["accuracy_best_constant_classifier"] = positives,
            ["true_positive_rate"] = recall,
            ["true_negative_rate"] = Ratio(tn, tn + fp),
            ["false_positive_rate"] = Ratio(fp, fp + tn),
            ["false_negative_rate"] = Ratio(fn, fn + tp),
            ["auc"] = Auc(pairs, threshold),
            ["f0_5"] = FBeta(precision, recall, 0.5),
            ["f1"] = FBeta(precision, recall, 1),
            ["f2"] = FBeta(precision, recall, 2),
            ["f0_5_best_constant_classifier"] = FBeta(positives, bestRecall, 0.5),
            ["f1_best_constant_classifier"] = FBeta(positives, bestRecall, 1),
            ["f2_best_constant_classifier"] = FBeta(positives, bestRecall, 2),
        };
    }

    private static double Score(LabeledPrediction pair, double threshold) =>
        pair.Probability ?? (BinaryPrediction(pair, threshold) ? 1 : 0);

    /// <summary>Area under the ROC curve: the Mann–Whitney U of the scores, ties counted half.</summary>
    private static double Auc(IReadOnlyList<LabeledPrediction> pairs, double threshold)
    {
        var scored = pairs.Select(p => (Score: Score(p, threshold), Positive: BinaryLabel(p.Actual))).OrderBy(p => p.Score).ToList();
        long positives = scored.Count(p => p.Positive);
        long negatives = scored.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        double rankSum = 0;
        var i = 0;
        while (i < scored.Count)
        {
            var j = i;
            while (j < scored.Count && scored[j].Score == scored[i].Score)
            {
                j++;
            }

            var rank = (i + 1 + j) / 2.0;
            for (var t = i; t < j; t++)
            {
                if (scored[t].Positive)
                {
                    rankSum += rank;
                }
            }

            i = j;
        }

        return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    private static ModelQualityStatistics BinaryStatistics(IReadOnlyList<LabeledPrediction> pairs, OrderedDictionary<string, Metric> metrics, double threshold)
    {
        var confusion = new Dictionary<string, IReadOnlyDictionary<string, long>>
        {
            ["0"] = new Dictionary<string, long> { ["0"] = 0, ["1"] = 0 },
            ["1"] = new Dictionary<string, long> { ["0"] = 0, ["1"] = 0 },
        };
        foreach (var pair in pairs)
        {
            var row = (Dictionary<string, long>)confusion[BinaryLabel(pair.Actual) ? "1" : "0"];
            row[BinaryPrediction(pair, threshold) ? "1" : "0"]++;
        }

        // The curves over the distinct scores, highest first (Spark's BinaryClassificationMetrics, which Model
        // Monitor uses): ROC from (0, 0) to (1, 1), precision-recall starting at recall 0.
        var groups = pairs.Select(p => (Score: Score(p, threshold), Positive: BinaryLabel(p.Actual)))
            .GroupBy(p => p.Score).OrderByDescending(g => g.Key)
            .Select(g => (Positives: g.Count(p => p.Positive), Negatives: g.Count(p => !p.Positive))).ToList();
        var step = Math.Max(1, (int)Math.Ceiling(groups.Count / (double)MaxCurvePoints));
        long allPositives = groups.Sum(g => g.Positives);
        long allNegatives = groups.Sum(g => g.Negatives);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        var recalls = new List<double>();
        var precisions = new List<double>();
        long tp = 0, fp = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            tp += groups[g].Positives;
            fp += groups[g].Negatives;
            if ((g + 1) % step == 0 || g == groups.Count - 1)
            {
                fpr.Add(Ratio(fp, allNegatives));
                tpr.Add(Ratio(tp, allPositives));
                if (recalls.Count == 0)
                {
                    recalls.Add(0);
                    precisions.Add(Ratio(tp, tp + fp));
                }

                recalls.Add(Ratio(tp, allPositives));
                precisions.Add(Ratio(tp, tp + fp));
            }
        }

        fpr.Add(1);
        tpr.Add(1);
        return new ModelQualityStatistics(ProblemType.BinaryClassification, pairs.Count, metrics, confusion, new Curve(fpr, tpr), new Curve(recalls, precisions));
    }

    /// <summary>A class label as text; numbers that are whole ("1.0") read as integers ("1").</summary>
    internal static string ClassLabel(string text)
    {
        var trimmed = text.Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == Math.Floor(number) && Math.Abs(number) < 1e15
            ? ((long)number).ToString(CultureInfo.InvariantCulture)
            : trimmed;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, long>> Confusion(IReadOnlyList<LabeledPrediction> pairs)
    {
        var labels = pairs.SelectMany(p => new[] { ClassLabel(p.Actual), ClassLabel(p.Predicted) }).Distinct().Order(StringComparer.Ordinal).ToList();
        var matrix = labels.ToDictionary(l => l, _ => (IReadOnlyDictionary<string, long>)labels.ToDictionary(l => l, _ => 0L));
        foreach (var pair in pairs)
        {
            ((Dictionary<string, long>)matrix[ClassLabel(pair.Actual)])[ClassLabel(pair.Predicted)]++;
        }

        return matrix;
    }

    private static OrderedDictionary<string, double> Multiclass(IReadOnlyList<LabeledPrediction> pairs)
    {
        var actual = pairs.Select(p => ClassLabel(p.Actual)).ToList();
        var predicted = pairs.Select(p => ClassLabel(p.Predicted)).ToList();
        double n = pairs.Count;
        var support = actual.GroupBy(a => a).ToDictionary(g => g.Key, g => (double)g.Count());
        var predictedCount = predicted.GroupBy(a => a).ToDictionary(g => g.Key, g => (double)g.Count());
        var correct = new Dictionary<string, double>();
        for (var i = 0; i < actual.Count; i++)
        {
            if (actual[i] == predicted[i])
            {
                correct[actual[i]] = correct.GetValueOrDefault(actual[i]) + 1;
            }
        }

        double Weighted(Func<double, double, double> metric) => support.Sum(s =>
        {
            var tp = correct.GetValueOrDefault(s.Key);
            var precision = Ratio(tp, predictedCount.GetValueOrDefault(s.Key));
            var recall = Ratio(tp, s.Value);
            return s.Value / n * metric(precision, recall);
        });

        // The best constant classifier always predicts the most frequent class.
        var majority = support.Max(s => s.Value) / n;
        var result = new OrderedDictionary<string, double>
        {
            ["accuracy"] = correct.Values.Sum() / n,
            ["weighted_recall"] = Weighted((_, r) => r),
            ["weighted_precision"] = Weighted((p, _) => p),
            ["weighted_f0_5"] = Weighted((p, r) => FBeta(p, r, 0.5)),
            ["weighted_f1"] = Weighted((p, r) => FBeta(p, r, 1)),
            ["weighted_f2"] = Weighted((p, r) => FBeta(p, r, 2)),
            ["accuracy_best_constant_classifier"] = majority,
            ["weighted_recall_best_constant_classifier"] = majority,
            ["weighted_precision_best_constant_classifier"] = majority * majority,
            ["weighted_f0_5_best_constant_classifier"] = majority * FBeta(majority, 1, 0.5),
            ["weighted_f1_best_constant_classifier"] = majority * FBeta(majority, 1, 1),
            ["weighted_f2_best_constant_classifier"] = majority * FBeta(majority, 1, 2),
        };
        return result;
    }

    internal static double Number(string text, string what) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new MonitoringInputException($"The {what} '{text}' is not a number.");

    private static OrderedDictionary<string, double> Regression(IReadOnlyList<LabeledPrediction> pairs)
    {
        var actual = pairs.Select(p => Number(p.Actual, "ground truth value")).ToList();
        var predicted = pairs.Select(p => Number(p.Predicted, "predicted value")).ToList();
        double n = pairs.Count;
        double absolute = 0, squared = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var error = predicted[i] - actual[i];
            absolute += Math.Abs(error);
            squared += error * error;
        }

        var mean = actual.Average();
        var total = actual.Sum(a => (a - mean) * (a - mean));
        return new OrderedDictionary<string, double>
        {
            ["mae"] = absolute / n,
            ["mse"] = squared / n,
            ["rmse"] = Math.Sqrt(squared / n),
            ["r2"] = total == 0 ? double.NaN : 1 - (squared / total),
        };
    }

    private static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;

    private static double FBeta(double precision, double recall, double beta)
    {
        var b2 = beta * beta;
        var denominator = (b2 * precision) + recall;
        return denominator == 0 ? 0 : (1 + b2) * precision * recall / denominator;
    }
}
