using System.Xml.Linq;
using Kiln.AutoML.Candidates;
using Kiln.AutoML.Data;
using Kiln.AutoML.Evaluation;
using Kiln.AutoML.Reports;
using Kiln.Core.AutoML;
using Kiln.Core.Training;
using Kiln.Training.Algorithms.Ensemble;
using Kiln.Training.Data;

namespace Kiln.AutoML.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Auc_counts_ties_as_half_and_matches_the_pairwise_definition()
    {
        bool[] positive = [true, false, true, false, true, false];
        double[] score = [0.9, 0.9, 0.7, 0.3, 0.2, 0.1];
        // Positives 0.9, 0.7, 0.2 against negatives 0.9, 0.3, 0.1: 0.9 beats two and ties one (2.5), 0.7 beats two, 0.2 beats one.
        const double expected = (2.5 + 2 + 1) / 9.0;
        var pairs = 0.0;
        for (var i = 0; i < positive.Length; i++)
        {
            for (var j = 0; j < positive.Length; j++)
            {
                if (positive[i] && !positive[j])
                {
                    pairs += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
                }
            }
        }

        Assert.Equal(pairs / 9, StandardMetrics.Auc(positive, score), 12);
        Assert.Equal(expected, StandardMetrics.Auc(positive, score), 12);
    }

    [Fact]
    public void Binary_metrics_treat_the_second_sorted_class_as_positive()
    {
        var metrics = StandardMetrics.Classification(["B", "M"], ["M", "M", "B", "B"], ["M", "B", "B", "M"],
            [[0.2, 0.8], [0.6, 0.4], [0.9, 0.1], [0.3, 0.7]]);
        Assert.Equal(0.5, metrics["Accuracy"]);
        Assert.Equal(0.5, metrics["Precision"]);
        Assert.Equal(0.5, metrics["Recall"]);
        Assert.Equal(0.5, metrics["F1"]);
        Assert.Equal(0.75, metrics["AUC"]);
        Assert.Equal(-(Math.Log(0.8) + Math.Log(0.4) + Math.Log(0.9) + Math.Log(0.3)) / 4, metrics["LogLoss"], 12);
    }

    [Fact]
    public void Regression_metrics_agree_with_each_other()
    {
        var metrics = StandardMetrics.Regression([1, 2, 3, 4], [1.5, 2, 2.5, 5]);
        Assert.Equal((0.25 + 0 + 0.25 + 1) / 4, metrics["MSE"], 12);
        Assert.Equal(Math.Sqrt(metrics["MSE"]), metrics["RMSE"], 12);
        Assert.Equal(0.5, metrics["MAE"], 12);
        Assert.Equal(1 - (1.5 / 5), metrics["R2"], 12);
    }
}

public sealed class DataTests
{
    private static RawTable Table(int rows, Func<int, object?[]> row, params string[] columns)
    {
        var table = new RawTable(columns);
        for (var i = 0; i < rows; i++)
        {
            table.Add(row(i), new RowSource("t.csv", i + 2));
        }

        return table;
    }

    [Fact]
    public void A_stratified_split_keeps_each_class_share_and_is_deterministic()
    {
        var table = Table(100, i => [(double)i, i < 80 ? "no" : "yes"], "x", "y");
        var (train, validation) = AutoMLData.Split(table, "y", 0.2, stratify: true, seed: 3);
        Assert.Equal(80, train.Rows.Count);
        Assert.Equal(16, validation.Rows.Count(row => (string)row[1]! == "no"));
        Assert.Equal(4, validation.Rows.Count(row => (string)row[1]! == "yes"));
        var (_, again) = AutoMLData.Split(table, "y", 0.2, stratify: true, seed: 3);
        Assert.Equal(validation.Rows.Select(row => row[0]), again.Rows.Select(row => row[0]));
        Assert.Empty(train.Rows.Select(row => row[0]).Intersect(validation.Rows.Select(row => row[0])));
    }

    [Fact]
    public void The_profile_tells_numbers_from_categories_and_text_and_counts_what_is_missing()
    {
        var table = Table(40, i => [i % 5 == 0 ? null : (double)i, i % 2 == 0 ? "red" : "blue", $"review number {i} says the food was {(i % 2 == 0 ? "great" : "bad")}", (double)(i * 2), i < 20 ? "a" : "b"],
            "amount", "colour", "review", "double", "label");
        var profile = TableProfile.Build(table, "label");
        var amount = profile.Columns.Single(c => c.Name == "amount");
        Assert.Equal(ColumnKind.Numeric, amount.Kind);
        Assert.Equal(8, amount.Missing);
        Assert.Equal(ColumnKind.Categorical, profile.Columns.Single(c => c.Name == "colour").Kind);
        Assert.Equal(ColumnKind.Text, profile.Columns.Single(c => c.Name == "review").Kind);
        Assert.Contains(profile.CorrelatedPairs, pair => pair is { A: "amount", B: "double" } && pair.R > 0.99);
        Assert.Equal(2, profile.TargetCounts.Count);
        Assert.True(profile.HasMissingValues && profile.HasCategoricalColumns);
        // "b" (the second class, as 1) holds the larger numbers.
        Assert.True(profile.Columns.Single(c => c.Name == "double").TargetCorrelation > 0.8);
    }

    [Theory]
    [InlineData(new[] { "0", "1" }, true, AutoMLProblemType.BinaryClassification)]
    [InlineData(new[] { "cat", "dog", "fish" }, false, AutoMLProblemType.MulticlassClassification)]
    [InlineData(new[] { "1", "2", "3" }, true, AutoMLProblemType.MulticlassClassification)]
    [InlineData(new[] { "1.5", "2", "3.25" }, true, AutoMLProblemType.Regression)]
    public void The_problem_type_follows_the_target(string[] values, bool numeric, AutoMLProblemType expected) =>
        Assert.Equal(expected, AutoMLJobService.InferProblemType(new DataCheck(["x", "y"], 100, values, numeric)));
}

public sealed class ReportTests
{
    [Fact]
    public void Pages_escape_what_the_data_holds_and_parse_as_xml()
    {
        var page = new Html("Report <&> \"quoted\"", "a subtitle with <script>alert(1)</script>")
            .Table(["col <1>", "n"], [["x & y", "1.5"], ["</td>", "2"]])
            .Raw(Svg.Columns("bars <b>", ["a&b", "c"], [1, 2]))
            .Raw(Svg.Bars("importance", [("f<1>", 0.5), ("f2", -0.1)]))
            .Raw(Svg.Scatter("scatter", "x", "y", [(1, 2, "tip <t>"), (2, 3, "t2")], 1))
            .Raw(Svg.Grid("grid", ["a", "b"], new[,] { { 3, 1 }, { 0, 4 } }))
            .ToString();
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        var document = XDocument.Parse(page[page.IndexOf("<html", StringComparison.Ordinal)..]);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
        Assert.Contains("a subtitle with <script>alert(1)</script>", document.Root!.Value, StringComparison.Ordinal);
        Assert.Equal(4, document.Descendants(XName.Get("svg", "http://www.w3.org/2000/svg")).Count());
    }
}

public sealed class EnsembleTests
{
    [Fact]
    public void A_blend_averages_probabilities_by_weight_and_labels_the_winner()
    {
        var blended = EnsembleModel.Blend([new PredictionRow(0.9, "yes", [0.1, 0.9]), new PredictionRow(0.2, "no", [0.8, 0.2])], [1, 3], "binary", ["no", "yes"]);
        Assert.Equal(0.375, blended.Value, 12);
        Assert.Equal("no", blended.Label);
        Assert.Equal(0.625, blended.Probabilities![0], 12);

        var regression = EnsembleModel.Blend([new PredictionRow(10), new PredictionRow(20)], [3, 1], "regression", null);
        Assert.Equal(12.5, regression.Value, 12);
    }

    [Fact]
    public void Ranking_breaks_accuracy_ties_by_log_loss()
    {
        var objective = new AutoMLObjective("Accuracy", true);
        AutoMLCandidate Candidate(string name, double? accuracy, double logLoss) => new()
        {
            Name = name,
            Pipeline = "p",
            Algorithm = "a",
            Preprocessing = [],
            HyperParameters = new Dictionary<string, string>(),
            Image = "i",
            CreationTime = DateTimeOffset.UnixEpoch,
            Objective = accuracy,
            Metrics = new Dictionary<string, double> { ["LogLoss"] = logLoss },
        };
        var ranked = objective.Rank([Candidate("unscored", null, 0), Candidate("tied-worse", 0.9, 0.3), Candidate("tied-better", 0.9, 0.2), Candidate("low", 0.8, 0.1)]);
        Assert.Equal(["tied-better", "tied-worse", "low", "unscored"], ranked.Select(c => c.Name));
    }

    private static AutoMLCandidate Scored(string name, string algorithm, double objective) => new()
    {
        Name = name,
        Pipeline = "p",
        Algorithm = algorithm,
        Preprocessing = [],
        HyperParameters = new Dictionary<string, string>(),
        Image = "i",
        CreationTime = DateTimeOffset.UnixEpoch,
        Objective = objective,
    };

    [Fact]
    public void The_least_flexible_candidate_within_one_standard_error_of_the_top_is_chosen()
    {
        var accuracy = new AutoMLObjective("Accuracy", true);
        List<AutoMLCandidate> ranked = [Scored("ensemble", "ensemble", 0.99), Scored("trees", "xgboost", 0.985), Scored("linear", "linear-learner", 0.98), Scored("linear-worse", "linear-learner", 0.95)];
        Assert.Equal("linear", BestCandidateRule.Choose(ranked, accuracy, standardError: 0.011).Name);
        Assert.Equal("trees", BestCandidateRule.Choose(ranked, accuracy, standardError: 0.006).Name);
        Assert.Equal("ensemble", BestCandidateRule.Choose(ranked, accuracy, standardError: 0).Name);

        // Minimised objectives count the error upwards.
        var rmse = new AutoMLObjective("RMSE", false);
        List<AutoMLCandidate> regression = [Scored("trees", "xgboost", 10), Scored("linear", "linear-learner", 10.5), Scored("linear-far", "linear-learner", 13)];
        Assert.Equal("linear", BestCandidateRule.Choose(regression, rmse, standardError: 1).Name);
        Assert.Equal("trees", BestCandidateRule.Choose(regression, rmse, standardError: 0.4).Name);
    }

    [Fact]
    public void The_bootstrap_standard_error_of_accuracy_is_near_the_binomial_one_and_shrinks_with_more_rows()
    {
        static (double Error, double Binomial) Measure(int rows)
        {
            var table = new RawTable(["x", "y"]);
            var predictions = new List<PredictionRow>();
            for (var i = 0; i < rows; i++)
            {
                var label = i % 2 == 0 ? "a" : "b";
                table.Add([(double)i, label], new RowSource("t", i + 1));
                var right = i % 10 != 0; // 90 % right
                var predicted = right ? label : (label == "a" ? "b" : "a");
                predictions.Add(new PredictionRow(predicted == "b" ? 1 : 0, predicted, predicted == "b" ? [0.2, 0.8] : [0.8, 0.2]));
            }

            var error = BestCandidateRule.StandardError(predictions, ["a", "b"], new ValidationSet(table, "y", null), AutoMLProblemType.BinaryClassification, new AutoMLObjective("Accuracy", true));
            return (error, Math.Sqrt(0.9 * 0.1 / rows));
        }

        var small = Measure(100);
        var large = Measure(1600);
        Assert.InRange(small.Error, small.Binomial * 0.75, small.Binomial * 1.25);
        Assert.InRange(large.Error, large.Binomial * 0.75, large.Binomial * 1.25);
        Assert.True(large.Error < small.Error / 3, $"{large.Error} vs {small.Error}");
    }
}

public sealed class CrossValidationTests
{
    [Fact]
    public void Stratified_folds_spread_each_class_evenly_and_are_the_same_for_a_seed()
    {
        // 70 of one class, 23 of the other: every fold gets 14 of the first and 4 or 5 of the second.
        var labels = Enumerable.Range(0, 93).Select(i => i < 70 ? "B" : "M").ToList();
        var folds = FoldPlan.Assign(labels.Count, 5, labels, seed: 7);
        for (var f = 0; f < 5; f++)
        {
            Assert.Equal(14, Enumerable.Range(0, 70).Count(i => folds[i] == f));
            Assert.InRange(Enumerable.Range(70, 23).Count(i => folds[i] == f), 4, 5);
            Assert.InRange(folds.Count(x => x == f), 18, 19);
        }

        Assert.Equal(folds, FoldPlan.Assign(labels.Count, 5, labels, seed: 7));
        Assert.NotEqual(folds, FoldPlan.Assign(labels.Count, 5, labels, seed: 8));
        // Regression: a shuffle dealt round, so sizes differ by at most one.
        var plain = FoldPlan.Assign(12, 5, null, seed: 7);
        Assert.All(Enumerable.Range(0, 5), f => Assert.InRange(plain.Count(x => x == f), 2, 3));
    }

    [Fact]
    public void The_cross_validated_score_is_the_mean_and_spread_of_the_folds()
    {
        var table = new RawTable(["x", "y"]);
        var predictions = new List<PredictionRow>();
        for (var i = 0; i < 50; i++)
        {
            var label = i % 2 == 0 ? "a" : "b";
            table.Add([(double)i, label], new RowSource("t", i + 1));
            // Wrong on rows 0, 1, 2 and 3 only.
            var predicted = i < 4 ? (label == "a" ? "b" : "a") : label;
            predictions.Add(new PredictionRow(predicted == "b" ? 1 : 0, predicted, predicted == "b" ? [0.3, 0.7] : [0.7, 0.3]));
        }

        var directory = Path.Combine(Path.GetTempPath(), $"folds-{Guid.NewGuid():N}");
        try
        {
            var plan = FoldPlan.Create(table, "y", null, classification: true, folds: 5, seed: 1, directory);
            var score = CrossValidator.Score(predictions, ["a", "b"], plan, AutoMLProblemType.BinaryClassification, new AutoMLObjective("Accuracy", true));
            var expected = Enumerable.Range(0, 5).Select(f =>
            {
                var held = plan.HeldOut(f);
                return held.Count(i => i >= 4) / (double)held.Count;
            }).ToList();
            Assert.Equal(expected, score.Folds);
            Assert.Equal(expected.Average(), score.Mean, 12);
            var mean = expected.Average();
            Assert.Equal(Math.Sqrt(expected.Sum(v => (v - mean) * (v - mean)) / 4), score.StandardDeviation, 12);
            Assert.Equal(score.StandardDeviation / Math.Sqrt(5), score.StandardError, 12);
            Assert.Equal(46 / 50.0, score.Metrics["Accuracy"], 1);
            // Each fold's held-out rows were written for training on the others.
            Assert.Equal(5, plan.Files.Count);
            Assert.Equal(41, File.ReadAllLines(Path.Combine(plan.Files[0].Train, "train.csv")).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("MSE")]
    [InlineData("RMSE")]
    public void Cross_validated_RMSE_squared_is_the_reported_MSE_and_the_objective_is_the_fold_mean(string objective)
    {
        var table = new RawTable(["x", "y"]);
        var predictions = new List<PredictionRow>();
        for (var i = 0; i < 50; i++)
        {
            table.Add([(double)i, (double)i], new RowSource("t", i + 1));
            // Errors grow along the rows so the folds differ and the mean of roots is not the root of the mean.
            predictions.Add(new PredictionRow(i + (i % 7) * (i / 10.0)));
        }

        var directory = Path.Combine(Path.GetTempPath(), $"folds-{Guid.NewGuid():N}");
        try
        {
            var plan = FoldPlan.Create(table, "y", null, classification: false, folds: 5, seed: 1, directory);
            var score = CrossValidator.Score(predictions, null, plan, AutoMLProblemType.Regression, new AutoMLObjective(objective, false));
            Assert.Equal(score.Metrics["MSE"], score.Metrics["RMSE"] * score.Metrics["RMSE"], 9);
            Assert.Equal(score.Mean, score.Metrics[objective], 12);
            Assert.NotEqual(score.Folds.Max(), score.Folds.Min());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Greedy_selection_blends_members_that_err_on_different_rows_and_not_a_useless_one()
    {
        var table = new RawTable(["x", "y"]);
        List<PredictionRow> first = [], second = [], useless = [];
        for (var i = 0; i < 40; i++)
        {
            var label = i % 2 == 0 ? "a" : "b";
            table.Add([(double)i, label], new RowSource("t", i + 1));
            PredictionRow Confident(bool right) => right == (label == "b") ? new PredictionRow(1, "b", [0.2, 0.8]) : new PredictionRow(0, "a", [0.8, 0.2]);
            // Each is confidently wrong on its own quarter of the rows; together they are right everywhere.
            first.Add(Confident(i % 4 != 0));
            second.Add(Confident(i % 4 != 1));
            useless.Add(new PredictionRow(0.5, "a", [0.5, 0.5]));
        }

        var rows = new ValidationSet(table, "y", null);
        var counts = EnsembleBuilder.Greedy([first, second, useless], ["a", "b"], rows, AutoMLProblemType.BinaryClassification, new AutoMLObjective("Accuracy", true));
        Assert.True(counts[0] > 0 && counts[1] > 0, string.Join(",", counts));
        Assert.Equal(0, counts[2]);
        Assert.Equal(counts, EnsembleBuilder.Greedy([first, second, useless], ["a", "b"], rows, AutoMLProblemType.BinaryClassification, new AutoMLObjective("Accuracy", true)));
    }

    [Fact]
    public void Cross_validated_candidates_are_chosen_on_their_fold_spread_and_keep_their_holdout_metrics()
    {
        AutoMLCandidate Candidate(string name, string algorithm, double holdout) => new()
        {
            Name = name,
            Pipeline = "p",
            Algorithm = algorithm,
            Preprocessing = [],
            HyperParameters = new Dictionary<string, string>(),
            Image = "i",
            CreationTime = DateTimeOffset.UnixEpoch,
            Objective = holdout,
            Metrics = new Dictionary<string, double> { ["Accuracy"] = holdout, ["InferenceLatency"] = 0.001 },
        };

        var trees = AutoMLJobRunner.WithCrossValidation(Candidate("trees", "xgboost", 1.0), new CrossValidatedScore([0.97, 0.98, 0.96, 0.97, 0.97], 0.97, 0.00707, new Dictionary<string, double> { ["Accuracy"] = 0.97 }), 5);
        var linear = AutoMLJobRunner.WithCrossValidation(Candidate("linear", "linear-learner", 0.95), new CrossValidatedScore([0.97, 0.96, 0.97, 0.97, 0.97], 0.968, 0.00447, new Dictionary<string, double> { ["Accuracy"] = 0.968 }), 5);
        Assert.Equal(0.97, trees.Objective);
        Assert.Equal(1.0, trees.HoldoutMetrics!["Accuracy"]);
        Assert.Equal(0.001, trees.Metrics["InferenceLatency"]);
        Assert.Equal(5, trees.CrossValidationFolds);

        // 0.968 is within 0.00707/√5 ≈ 0.0032 of 0.97, so the linear model is as good as the data can tell, and simpler.
        var accuracy = new AutoMLObjective("Accuracy", true);
        var ranked = accuracy.Rank([linear, trees]);
        Assert.Equal("linear", BestCandidateRule.Choose(ranked, accuracy, trees.ObjectiveStandardDeviation!.Value / Math.Sqrt(5)).Name);
        Assert.Equal("trees", BestCandidateRule.Choose(ranked, accuracy, 0.001).Name);
    }
}
