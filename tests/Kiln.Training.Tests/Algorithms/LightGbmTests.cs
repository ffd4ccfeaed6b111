using System.Globalization;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Algorithms.Boosting;
using Kiln.Training.Algorithms.LightGbm;

namespace Kiln.Training.Tests.Algorithms;

public sealed class LightGbmTests : IDisposable
{
    private readonly TrainerHarness _harness = new();
    private readonly LightGbmAlgorithm _lightgbm = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Diamonds rows (the 3,000-row sample) (price, with cut, color and clarity as text), split 80/20.</summary>
    private static (string Train, string Validation, List<string[]> ValidationRows) Diamonds(int rows)
    {
        var lines = File.ReadLines(Datasets.Path("diamonds_sample.csv")).ToList();
        var random = new Random(3);
        var body = lines.Skip(1).OrderBy(_ => random.Next()).Take(rows).ToList();
        var cut = rows * 4 / 5;
        return (string.Join('\n', [lines[0], .. body[..cut]]) + "\n", string.Join('\n', [lines[0], .. body[cut..]]) + "\n",
            body[cut..].Select(line => line.Split(',').Select(cell => cell.Trim('"')).ToArray()).ToList());
    }

    [Fact]
    public async Task Diamonds_train_with_native_categories_and_the_served_model_matches_the_reported_rmse()
    {
        var (train, validation, rows) = Diamonds(3000);
        _harness.Channel("train", "train.csv", train, "text/csv;header=present");
        _harness.Channel("validation", "validation.csv", validation, "text/csv;header=present");
        await _harness.TrainAsync(_lightgbm, new() { ["target_column"] = "price", ["num_boost_round"] = "300", ["early_stopping_rounds"] = "20", ["eval_metric"] = "rmse" });

        var rmse = _harness.Reporter.Metrics["validation:rmse"];
        Assert.True(rmse < 900, _harness.Reporter.Show());
        var manifest = ModelDirectory.ReadManifest(_harness.ModelDirectory);
        Assert.Equal("lightgbm", manifest.Algorithm);
        Assert.Equal(3, LightGbmAlgorithm.CategoricalFeatures(manifest.Encoder!).Count);

        // Served through the catalog from the model directory, as an endpoint loads it: raw cells in, price out.
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var priceIndex = 6;
        var features = rows.Select(row => new FeatureRow(null, Cells: row.Where((_, i) => i != priceIndex)
            .Select(cell => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? (object)n : cell).ToList())).ToList();
        var predictions = predictor.Predict(features);
        var served = Math.Sqrt(predictions.Zip(rows).Average(pair => Math.Pow(pair.First.Value - double.Parse(pair.Second[priceIndex], CultureInfo.InvariantCulture), 2)));
        Assert.Equal(rmse, served, 0.5);
        Assert.Equal(predictions[0].Value, Assert.Single(predictor.Predict([features[0]])).Value, 3);
    }

    /// <summary>
    /// Eight categories, the odd-ranked ones with target 1: one split can separate them only as a set of
    /// categories (LightGBM's categorical split), not as a threshold on one-hot columns or on a rank.
    /// </summary>
    [Theory]
    [InlineData("native", true)]
    [InlineData("onehot", false)]
    public async Task One_categorical_split_separates_a_set_of_categories(string encoding, bool separates)
    {
        var lines = new List<string> { "color,y" };
        for (var i = 0; i < 400; i++)
        {
            var category = i % 8;
            lines.Add($"c{category},{(category % 2 == 0 ? 1 : 0)}");
        }

        _harness.Channel("train", "train.csv", string.Join('\n', lines) + "\n", "text/csv;header=present");
        await _harness.TrainAsync(_lightgbm, new()
        {
            ["target_column"] = "y",
            ["num_boost_round"] = "1",
            ["num_leaves"] = "2",
            ["learning_rate"] = "1",
            ["min_data_in_leaf"] = "1",
            ["min_data_per_group"] = "1",
            ["max_cat_to_onehot"] = "1",
            ["categorical_encoding"] = encoding,
        });

        var model = File.ReadAllText(Path.Combine(_harness.ModelDirectory, "model.txt"));
        Assert.Equal(separates, model.Contains("cat_threshold=", StringComparison.Ordinal));
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        var errors = Enumerable.Range(0, 8).Select(k => Math.Abs(Assert.Single(predictor.Predict([new FeatureRow(null, Cells: [$"c{k}"])])).Value - (k % 2 == 0 ? 1 : 0))).ToList();
        Assert.Equal(separates, errors.All(error => error < 0.05));
    }

    [Theory]
    [InlineData("log1p")]
    [InlineData("yeo-johnson")]
    public async Task A_transformed_target_is_predicted_on_its_original_scale(string transform)
    {
        // A long-tailed target: y = exp(2x) · noise, from about 1 to about 400.
        var random = new Random(5);
        var lines = new List<string> { "x,y" };
        for (var i = 0; i < 600; i++)
        {
            var x = random.NextDouble() * 3;
            lines.Add(FormattableString.Invariant($"{x:F4},{Math.Exp(2 * x) * (0.9 + (0.2 * random.NextDouble())):F3}"));
        }

        _harness.Channel("train", "train.csv", string.Join('\n', lines[..481]) + "\n", "text/csv;header=present");
        _harness.Channel("validation", "validation.csv", string.Join('\n', [lines[0], .. lines[481..]]) + "\n", "text/csv;header=present");
        await _harness.TrainAsync(_lightgbm, new() { ["target_column"] = "y", ["num_boost_round"] = "200", ["target_transform"] = transform, ["eval_metric"] = "rmse", ["min_data_in_leaf"] = "5" });

        var manifest = ModelDirectory.ReadManifest(_harness.ModelDirectory);
        Assert.Equal(transform, manifest.TargetTransform!.Kind);
        using var predictor = new AlgorithmCatalog().LoadPredictor(_harness.ModelDirectory);
        foreach (var x in new[] { 0.5, 1.5, 2.5 })
        {
            var predicted = Assert.Single(predictor.Predict([new FeatureRow(null, Cells: [x])])).Value;
            Assert.InRange(predicted, Math.Exp(2 * x) * 0.8, Math.Exp(2 * x) * 1.2);
        }

        // The reported validation RMSE is on the original scale too (a log-scale RMSE would be below 1).
        Assert.InRange(_harness.Reporter.Metrics["validation:rmse"], 1, 40);
    }

    [Fact]
    public void Target_transform_is_for_regression_only()
    {
        var error = Assert.Throws<TrainingValidationException>(() => _lightgbm.Validate(new Dictionary<string, string> { ["objective"] = "binary", ["target_transform"] = "log1p" }, ["train"]));
        Assert.Contains("target_transform", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalog_finds_lightgbm_by_image()
    {
        Assert.IsType<LightGbmAlgorithm>(new AlgorithmCatalog().Find("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-lightgbm:4.7"));
    }
}

public sealed class TargetTransformTests
{
    [Theory]
    [InlineData("log1p", new[] { 0f, 0.5f, 3f, 326f, 18823f })]
    [InlineData("yeo-johnson", new[] { -40f, -2f, 0f, 0.5f, 3f, 326f, 18823f })]
    [InlineData("yeo-johnson", new[] { 1f, 2f, 4f, 8f, 16f, 1000f, 5000f })]
    public void The_inverse_gives_back_the_original_values(string kind, float[] labels)
    {
        var transform = TargetTransform.Fit(kind, labels)!;
        foreach (var y in labels)
        {
            Assert.Equal(y, transform.Invert(transform.Apply(y)), Math.Max(1e-6, Math.Abs(y) * 1e-7));
        }
    }

    [Fact]
    public void Yeo_johnson_pulls_a_right_skewed_target_towards_symmetry()
    {
        var random = new Random(1);
        var labels = Enumerable.Range(0, 2000).Select(_ => (float)Math.Exp(random.NextDouble() * 6)).ToArray();
        var transform = TargetTransform.Fit("yeo-johnson", labels)!;
        Assert.InRange(transform.Lambda, -1, 0.5);
        static double Skew(double[] v)
        {
            var mean = v.Average();
            var sd = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
            return v.Average(x => Math.Pow((x - mean) / sd, 3));
        }

        Assert.True(Math.Abs(Skew(labels.Select(y => transform.Apply(y)).ToArray())) < Math.Abs(Skew(labels.Select(y => (double)y).ToArray())) / 5);
    }

    [Fact]
    public void Log1p_refuses_targets_at_or_below_minus_one()
    {
        Assert.Throws<TrainingFailedException>(() => TargetTransform.Fit("log1p", [-1f, 2f]));
        Assert.Null(TargetTransform.Fit("none", [1f]));
    }
}
