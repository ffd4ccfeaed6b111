using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Algorithms.XGBoost;

namespace Kiln.Training.Tests.Algorithms;

public sealed class XGBoostTests : IDisposable
{
    private readonly TrainerHarness _harness = new();
    private readonly XGBoostAlgorithm _xgboost = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Binary_logistic_on_breast_cancer_reaches_auc_097_and_the_predictor_agrees()
    {
        var (train, validation) = TrainerHarness.BreastCancer();
        _harness.Channel("train", "train.csv", TrainerHarness.Csv(train));
        _harness.Channel("validation", "validation.csv", TrainerHarness.Csv(validation));
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "binary:logistic", ["num_round"] = "60", ["max_depth"] = "4", ["eta"] = "0.2", ["eval_metric"] = "auc" });

        Assert.True(_harness.Reporter.Metrics["validation:auc"] >= 0.97, _harness.Reporter.Show());
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var rows = validation.Select(row => new FeatureRow(row[1..].Select(float.Parse).ToArray())).ToList();
        var predictions = predictor.Predict(rows);
        var accuracy = predictions.Zip(validation).Count(pair => (pair.First.Value >= 0.5 ? "1" : "0") == pair.Second[0]) / (double)validation.Count;
        Assert.Equal(_harness.Reporter.Metrics["validation:accuracy"], accuracy, 6);
        Assert.All(predictions, p => Assert.Equal(1.0, p.Probabilities!.Sum(), 5));
    }

    [Fact]
    public async Task Single_rows_predicted_from_many_threads_at_once_match_the_batch_prediction()
    {
        var (train, validation) = TrainerHarness.BreastCancer();
        _harness.Channel("train", "train.csv", TrainerHarness.Csv(train));
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "binary:logistic", ["num_round"] = "40", ["max_depth"] = "4" });
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var rows = validation.Select(row => new FeatureRow(row[1..].Select(float.Parse).ToArray())).ToList();
        var batch = predictor.Predict(rows).Select(p => p.Value).ToList();

        // Each thread reuses its own single-row predictor; every answer must still be its row's.
        var single = new double[rows.Count];
        Parallel.For(0, rows.Count * 20, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            single[i % rows.Count] = Assert.Single(predictor.Predict([rows[i % rows.Count]])).Value);

        Assert.Equal(batch, single, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Contains(batch, p => p < 0.5);
        Assert.Contains(batch, p => p >= 0.5);
    }

    [Fact]
    public async Task Headed_csv_with_text_columns_and_a_named_target()
    {
        var churn = File.ReadAllLines(Datasets.Path("churn.csv"));
        _harness.Channel("train", "churn.csv", string.Join('\n', churn.Take(4001)) + "\n");
        _harness.Channel("validation", "churn.csv", string.Join('\n', churn.Take(1).Concat(churn.Skip(4001))) + "\n");
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "binary:logistic", ["num_round"] = "80", ["max_depth"] = "5", ["target_column"] = "churn" });

        Assert.True(_harness.Reporter.Metrics["validation:auc"] >= 0.85, _harness.Reporter.Show());
        var manifest = ModelDirectory.ReadManifest(_harness.ModelDirectory);
        Assert.Equal(["no", "yes"], manifest.Encoder!.Classes);
        Assert.Contains(manifest.Encoder.Columns, column => column.Name == "state" && column.Categories!.Count > 10);
    }

    [Fact]
    public async Task Early_stopping_keeps_the_best_round_and_the_manifest_says_how_many()
    {
        var churn = File.ReadAllLines(Datasets.Path("churn.csv"));
        _harness.Channel("train", "churn.csv", string.Join('\n', churn.Take(1001)) + "\n");
        _harness.Channel("validation", "churn.csv", string.Join('\n', churn.Take(1).Concat(churn.Skip(4001))) + "\n");
        // A high learning rate on a thousand rows overfits within a few dozen rounds, long before 2,000.
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "binary:logistic", ["num_round"] = "2000", ["eta"] = "0.5", ["max_depth"] = "6", ["early_stopping_rounds"] = "10", ["target_column"] = "churn" });

        var rounds = ModelDirectory.ReadManifest(_harness.ModelDirectory).Rounds;
        Assert.NotNull(rounds);
        Assert.InRange(rounds.Value, 1, 1990);
        Assert.Contains(_harness.Reporter.Lines, line => line.Contains($"keeping round {rounds} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Regression_on_diamonds_reports_rmse()
    {
        var lines = File.ReadAllLines(Datasets.Path("diamonds_sample.csv"));
        _harness.Channel("train", "d.csv", string.Join('\n', lines.Take(2401)) + "\n");
        _harness.Channel("validation", "d.csv", string.Join('\n', lines.Take(1).Concat(lines.Skip(2401))) + "\n");
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "reg:squarederror", ["num_round"] = "100", ["target_column"] = "price" });
        var rmse = _harness.Reporter.Metrics["validation:rmse"];
        Assert.InRange(rmse, 1, 1500);
        Assert.True(_harness.Reporter.Metrics["validation:r2"] > 0.9, _harness.Reporter.Show());
    }

    [Fact]
    public async Task Multiclass_softprob_predicts_a_distribution_over_classes()
    {
        var lines = File.ReadAllLines(Datasets.Path("diamonds_sample.csv"));
        _harness.Channel("train", "d.csv", string.Join('\n', lines) + "\n");
        await _harness.TrainAsync(_xgboost, new() { ["objective"] = "multi:softprob", ["num_class"] = "5", ["num_round"] = "30", ["target_column"] = "cut" });
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var manifest = ModelDirectory.ReadManifest(_harness.ModelDirectory);
        var row = new FeatureRow(new float[manifest.FeatureCount]);
        var prediction = Assert.Single(predictor.Predict([row]));
        Assert.Equal(5, prediction.Probabilities!.Count);
        Assert.Contains(prediction.Label, manifest.Encoder!.Classes!);
        // Better than always answering the commonest cut.
        var majority = lines.Skip(1).GroupBy(line => line.Split(',')[1]).Max(group => group.Count()) / (double)(lines.Length - 1);
        Assert.True(_harness.Reporter.Metrics["train:accuracy"] > majority + 0.05, _harness.Reporter.Show());
    }

    [Theory]
    [InlineData("1,2.0,3.0\n0,1.5,abc\n", "train/data.csv line 2, column 3: 'abc' is not a number")]
    [InlineData("1,2.0,3.0\n0,1.5\n", "train/data.csv line 2, column 3")]
    [InlineData("1,2.0,3.0\n,1.5,2.0\n", "train/data.csv line 2, column 1: the label is missing")]
    [InlineData("", "train/data.csv line 1, column 1: the file is empty")]
    [InlineData("1,2\n\"0\",\"a,b\"\n", "train/data.csv line 2, column 2: 'a,b' is not a number")]
    public async Task Bad_data_fails_naming_file_line_and_column(string content, string expected)
    {
        _harness.Channel("train", "data.csv", content);
        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => _harness.TrainAsync(_xgboost, new() { ["objective"] = "binary:logistic", ["num_round"] = "3" }));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("num_round", "0", "num_round")]
    [InlineData("eta", "1.5", "eta")]
    [InlineData("subsample", "0", "subsample")]
    [InlineData("max_depth", "deep", "max_depth")]
    [InlineData("objective", "rank:pairwise", "objective")]
    [InlineData("eval_metric", "auc,nope", "eval_metric")]
    [InlineData("colour", "blue", "not recognized")]
    public void Hyperparameters_outside_their_range_are_refused(string name, string value, string mentioned)
    {
        var hyperParameters = new Dictionary<string, string> { ["num_round"] = "10", [name] = value };
        var error = Assert.Throws<TrainingValidationException>(() => _xgboost.Validate(hyperParameters, ["train"]));
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_hyperparameters_and_channels_are_checked()
    {
        Assert.Contains("num_round", Assert.Throws<TrainingValidationException>(() => _xgboost.Validate(new Dictionary<string, string>(), ["train"])).Message, StringComparison.Ordinal);
        Assert.Contains("num_class", Assert.Throws<TrainingValidationException>(() => _xgboost.Validate(new Dictionary<string, string> { ["num_round"] = "3", ["objective"] = "multi:softmax" }, ["train"])).Message, StringComparison.Ordinal);
        Assert.Contains("'train'", Assert.Throws<TrainingValidationException>(() => _xgboost.Validate(new Dictionary<string, string> { ["num_round"] = "3" }, ["validation"])).Message, StringComparison.Ordinal);
        _xgboost.Validate(new Dictionary<string, string> { ["num_round"] = "3", ["sagemaker_container_log_level"] = "20" }, ["train", "validation"]);
    }
}
