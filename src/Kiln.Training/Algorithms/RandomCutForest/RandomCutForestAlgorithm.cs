using System.Globalization;
using Kiln.Core.Training;
using Kiln.Training.Data;

namespace Kiln.Training.Algorithms.RandomCutForest;

/// <summary>
/// SageMaker's Random Cut Forest for anomaly detection: num_trees trees of num_samples_per_tree points
/// each. A row is called anomalous above the training scores' mean plus three standard deviations, the
/// rule of thumb SageMaker's RCF documentation gives. With a labelled test channel (label_size=1) it
/// reports test:precision, test:recall, test:f1 and test:accuracy.
/// </summary>
public sealed class RandomCutForestAlgorithm : BuiltInAlgorithm
{
    public const string ForestFile = "forest.json";

    public override string Name => "randomcutforest";

    public override HyperParameterSet HyperParameters { get; } = new("randomcutforest",
    [
        new IntParameter("feature_dim", 1, 10_000, null, Required: true),
        new IntParameter("num_trees", 50, 1000, 100),
        new IntParameter("num_samples_per_tree", 1, 2048, 256),
        new ChoiceParameter("eval_metrics", ["accuracy", "precision_recall_fscore"], null, Multiple: true),
        new TextParameter(TargetColumnParameter),
    ]);

    public override IReadOnlyList<string> MetricNames { get; } = ["test:precision", "test:recall", "test:f1", "test:accuracy"];

    protected override IReadOnlyList<string> AllowedChannels => ["train", "test"];

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var (encoder, rows, test) = await LoadUnsupervisedAsync(context, values, values.Int("feature_dim")).ConfigureAwait(false);
        context.Reporter.Log($"Growing {values.Int("num_trees")} random cut trees of {values.Int("num_samples_per_tree")} samples on {rows.Length} rows.");
        var forest = await Fitting.RunAsync(() => RandomCutForest.Grow(rows, (int)values.Int("num_trees"), (int)values.Int("num_samples_per_tree"), 0), context.CancellationToken).ConfigureAwait(false);
        var scores = rows.Select(forest.Score).ToList();
        var mean = scores.Average();
        var deviation = Math.Sqrt(scores.Average(s => (s - mean) * (s - mean)));
        var threshold = mean + (3 * deviation);
        context.Reporter.Log($"Anomaly threshold {threshold:F4} (training scores {mean:F4} ± {deviation:F4}).");

        if (test is not null && test.ColumnIndex(ChannelReader.LabelColumn) is var labelIndex and >= 0)
        {
            var predicted = encoder.Encode(test, withLabels: false).Features.Select(row => forest.Score(row) > threshold).ToList();
            var actual = test.Rows.Select(row => row[labelIndex] is double label && label > 0).ToList();
            var truePositives = predicted.Zip(actual).Count(pair => pair.First && pair.Second);
            var flagged = predicted.Count(p => p);
            var anomalies = actual.Count(a => a);
            var precision = flagged == 0 ? 0 : (double)truePositives / flagged;
            var recall = anomalies == 0 ? 0 : (double)truePositives / anomalies;
            context.Reporter.Metric("test:precision", precision);
            context.Reporter.Metric("test:recall", recall);
            context.Reporter.Metric("test:f1", precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
            context.Reporter.Metric("test:accuracy", predicted.Zip(actual).Count(pair => pair.First == pair.Second) / (double)actual.Count);
        }

        Directory.CreateDirectory(context.ModelDirectory);
        await File.WriteAllTextAsync(Path.Combine(context.ModelDirectory, ForestFile), forest.ToJson(), context.CancellationToken).ConfigureAwait(false);
        var hyperParameters = new Dictionary<string, string>(context.HyperParameters) { ["kiln_threshold"] = threshold.ToString("R", CultureInfo.InvariantCulture) };
        ModelDirectory.SaveManifest(context.ModelDirectory, new ModelManifest(Name, "anomaly", encoder.FeatureCount, encoder, hyperParameters, context.Clock.GetUtcNow()));
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var forest = RandomCutForest.FromJson(File.ReadAllText(Path.Combine(modelDirectory, ForestFile)));
        var threshold = double.Parse(manifest.HyperParameters["kiln_threshold"], CultureInfo.InvariantCulture);
        return new ForestPredictor(forest, threshold, manifest);
    }

    private sealed class ForestPredictor(RandomCutForest forest, double threshold, ModelManifest manifest) : IPredictor
    {
        public int? FeatureCount => manifest.FeatureCount;

        public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows) =>
            rows.Select(row =>
            {
                var features = row.Features is { } values && values.Length == manifest.FeatureCount
                    ? values
                    : throw new InvalidDataException($"Expected {manifest.FeatureCount} features, got {row.Features?.Length ?? 0}.");
                var score = forest.Score(features);
                return new PredictionRow(score, score > threshold ? "anomaly" : "normal");
            }).ToList();

        public void Dispose()
        {
        }
    }
}
