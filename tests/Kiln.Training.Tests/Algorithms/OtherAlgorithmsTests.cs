using System.Globalization;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Algorithms.BlazingText;
using Kiln.Training.Algorithms.KMeans;
using Kiln.Training.Algorithms.LinearLearner;
using Kiln.Training.Algorithms.Pca;
using Kiln.Training.Algorithms.RandomCutForest;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Training.Tests.Algorithms;

public sealed class OtherAlgorithmsTests : IDisposable
{
    private readonly TrainerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static string Blobs(Random random, int count, params (double X, double Y)[] centers) =>
        string.Join("\n", Enumerable.Range(0, count).Select(i =>
        {
            var center = centers[i % centers.Length];
            return string.Create(CultureInfo.InvariantCulture, $"{center.X + random.NextDouble()},{center.Y + random.NextDouble()}");
        })) + "\n";

    [Fact]
    public async Task Linear_learner_classifies_breast_cancer()
    {
        var (train, validation) = TrainerHarness.BreastCancer();
        _harness.Channel("train", "train.csv", TrainerHarness.Csv(train));
        _harness.Channel("validation", "validation.csv", TrainerHarness.Csv(validation));
        await _harness.TrainAsync(new LinearLearnerAlgorithm(), new() { ["predictor_type"] = "binary_classifier", ["epochs"] = "20" });
        Assert.True(_harness.Reporter.Metrics["validation:binary_classification_accuracy"] >= 0.93, _harness.Reporter.Show());
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        Assert.Equal(validation.Count, predictor.Predict(validation.Select(row => new FeatureRow(row[1..].Select(float.Parse).ToArray())).ToList()).Count);
    }

    [Fact]
    public async Task Linear_learner_regressor_beats_predicting_the_mean()
    {
        var lines = File.ReadAllLines(Datasets.Path("diamonds_sample.csv"));
        _harness.Channel("train", "d.csv", string.Join('\n', lines) + "\n");
        await _harness.TrainAsync(new LinearLearnerAlgorithm(), new() { ["predictor_type"] = "regressor", ["target_column"] = "price" });
        var prices = lines.Skip(1).Select(line => double.Parse(line.Split(',')[6], CultureInfo.InvariantCulture)).ToList();
        var mean = prices.Average();
        var baseline = Math.Sqrt(prices.Average(p => (p - mean) * (p - mean)));
        Assert.True(_harness.Reporter.Metrics["train:rmse"] < baseline * 0.5, $"{_harness.Reporter.Show()} vs baseline {baseline}");
    }

    [Fact]
    public async Task Kmeans_separates_well_separated_blobs()
    {
        var random = new Random(1);
        _harness.Channel("train", "blobs.csv", Blobs(random, 400, (0, 0), (20, 20)));
        _harness.Channel("test", "blobs.csv", Blobs(random, 100, (0, 0), (20, 20)));
        await _harness.TrainAsync(new KMeansAlgorithm(), new() { ["k"] = "2", ["feature_dim"] = "2", ["init_method"] = "kmeans++" });
        Assert.True(_harness.Reporter.Metrics["test:msd"] < 1.0, _harness.Reporter.Show());
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var clusters = predictor.Predict([new FeatureRow([0.5f, 0.5f]), new FeatureRow([0.4f, 0.6f]), new FeatureRow([20.5f, 20.5f])]);
        Assert.Equal(clusters[0].Value, clusters[1].Value);
        Assert.NotEqual(clusters[0].Value, clusters[2].Value);
    }

    [Fact]
    public async Task A_trained_model_is_stamped_with_the_jobs_clock()
    {
        var trainedAt = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
        _harness.Clock = new FakeTimeProvider(trainedAt);
        _harness.Channel("train", "blobs.csv", Blobs(new Random(1), 40, (0, 0), (20, 20)));
        await _harness.TrainAsync(new KMeansAlgorithm(), new() { ["k"] = "2", ["feature_dim"] = "2" });
        Assert.Equal(trainedAt, ModelDirectory.ReadManifest(_harness.ModelDirectory).TrainedAt);
    }

    [Fact]
    public async Task Kmeans_refuses_a_feature_dim_that_does_not_match()
    {
        _harness.Channel("train", "blobs.csv", Blobs(new Random(1), 20, (0, 0)));
        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => _harness.TrainAsync(new KMeansAlgorithm(), new() { ["k"] = "2", ["feature_dim"] = "3" }));
        Assert.Contains("feature_dim", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pca_finds_the_direction_of_most_variance()
    {
        var random = new Random(3);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            var t = (random.NextDouble() - 0.5) * 100;
            return string.Create(CultureInfo.InvariantCulture, $"{t + random.NextDouble()},{(2 * t) + random.NextDouble()},{random.NextDouble()}");
        });
        _harness.Channel("train", "line.csv", string.Join("\n", rows) + "\n");
        await _harness.TrainAsync(new PcaAlgorithm(), new() { ["feature_dim"] = "3", ["num_components"] = "1" });
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var far = predictor.Predict([new FeatureRow([40f, 80f, 0.5f]), new FeatureRow([-40f, -80f, 0.5f]), new FeatureRow([0f, 0f, 0.5f])]);
        Assert.Single(far[0].Vector!);
        Assert.True(Math.Abs(far[0].Value - far[1].Value) > 150, "points far apart along the line project far apart");
        Assert.True(Math.Abs(far[2].Value) < 5, "the centre projects near zero");
    }

    [Fact]
    public async Task Random_cut_forest_role_flags_injected_anomalies()
    {
        var random = new Random(5);
        _harness.Channel("train", "normal.csv", Blobs(random, 500, (0, 0)));
        var test = Enumerable.Range(0, 100).Select(i => i % 10 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"1,{30 + random.NextDouble()},{-30 - random.NextDouble()}")
            : string.Create(CultureInfo.InvariantCulture, $"0,{random.NextDouble()},{random.NextDouble()}"));
        _harness.Channel("test", "labelled.csv", string.Join("\n", test) + "\n", "text/csv;label_size=1");
        await _harness.TrainAsync(new RandomCutForestAlgorithm(), new() { ["feature_dim"] = "2" });
        Assert.True(_harness.Reporter.Metrics["test:f1"] >= 0.8, _harness.Reporter.Show());
    }

    [Fact]
    public async Task Blazingtext_supervised_beats_the_majority_class_on_fine_foods()
    {
        static string Lines(string file) => string.Join("\n", File.ReadAllLines(file).Skip(1).Select(line =>
        {
            var score = line[(line.LastIndexOf(',') + 1)..].Trim('"');
            var text = line[(line.IndexOf(',', StringComparison.Ordinal) + 1)..line.LastIndexOf(',')].Trim('"');
            return $"__label__{score} {text}";
        })) + "\n";

        _harness.Channel("train", "train.txt", Lines(Datasets.Path("fine_foods_train.csv")), "text/plain");
        _harness.Channel("validation", "test.txt", Lines(Datasets.Path("fine_foods_test.csv")), "text/plain");
        await _harness.TrainAsync(new BlazingTextAlgorithm(), new() { ["mode"] = "supervised", ["epochs"] = "10", ["word_ngrams"] = "2" });
        var labels = File.ReadAllLines(Datasets.Path("fine_foods_test.csv")).Skip(1).Select(line => line[(line.LastIndexOf(',') + 1)..]).ToList();
        var majority = labels.GroupBy(label => label).Max(group => group.Count()) / (double)labels.Count;
        Assert.True(_harness.Reporter.Metrics["validation:accuracy"] > majority + 0.1, $"{_harness.Reporter.Show()} vs majority {majority}");
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var prediction = Assert.Single(predictor.Predict([new FeatureRow(null, "I love this tea, it is delicious and I buy it every month")]));
        Assert.Equal("great", prediction.Label);
    }

    [Fact]
    public void Blazingtext_supports_only_supervised_mode()
    {
        var error = Assert.Throws<TrainingValidationException>(() => new BlazingTextAlgorithm().Validate(new Dictionary<string, string> { ["mode"] = "skipgram" }, ["train"]));
        Assert.Contains("mode", error.Message, StringComparison.Ordinal);
    }
}
