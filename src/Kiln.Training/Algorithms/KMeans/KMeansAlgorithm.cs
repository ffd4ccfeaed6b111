using Kiln.Core.Training;
using Microsoft.ML;
using Microsoft.ML.Trainers;

namespace Kiln.Training.Algorithms.KMeans;

/// <summary>
/// SageMaker's k-means on ML.NET's k-means trainer. Training rows are all features (label_size=0);
/// with a test channel it reports SageMaker's test:msd (mean squared distance to the nearest center)
/// and test:ssd (their sum). Predictions are the closest cluster and the distance to it.
/// </summary>
public sealed class KMeansAlgorithm : BuiltInAlgorithm
{
    public override string Name => "kmeans";

    public override HyperParameterSet HyperParameters { get; } = new("kmeans",
    [
        new IntParameter("k", 2, int.MaxValue, null, Required: true),
        new IntParameter("feature_dim", 1, int.MaxValue, null, Required: true),
        new IntParameter("mini_batch_size", 1, int.MaxValue, 5000),
        new IntParameter("epochs", 1, 10_000, 1),
        new ChoiceParameter("init_method", ["random", "kmeans++"], "random"),
        new IntParameter("local_lloyd_max_iter", 1, 100_000, 300),
        new FloatParameter("local_lloyd_tol", 0, 1, 0.0001),
        new FloatOrAutoParameter("extra_center_factor", 1, double.PositiveInfinity),
        new IntParameter("half_life_time_size", 0, int.MaxValue, 0),
        new ChoiceParameter("eval_metrics", ["msd", "ssd"], null, Multiple: true),
        new TextParameter(TargetColumnParameter),
    ]);

    public override IReadOnlyList<string> MetricNames { get; } = ["test:msd", "test:ssd", "train:msd"];

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var (encoder, rows, test) = await LoadUnsupervisedAsync(context, values, values.Int("feature_dim")).ConfigureAwait(false);
        var k = (int)values.Int("k");
        if (rows.Length < k)
        {
            throw new TrainingFailedException($"k is {k} but the training data has only {rows.Length} rows.");
        }

        var ml = new MLContext(0);
        var train = MlData.ToDataView(ml, rows, new float[rows.Length], encoder.FeatureCount);
        var trainer = ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            NumberOfClusters = k,
            InitializationAlgorithm = values.Choice("init_method") == "kmeans++" ? KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus : KMeansTrainer.InitializationAlgorithm.Random,
            MaximumNumberOfIterations = (int)values.Int("local_lloyd_max_iter"),
            OptimizationTolerance = (float)values.Float("local_lloyd_tol"),
            NumberOfThreads = 1,
        });
        context.Reporter.Log($"Clustering {rows.Length} rows into {k} clusters.");
        var model = await Fitting.RunAsync(() => trainer.Fit(train), context.CancellationToken).ConfigureAwait(false);
        var trainMsd = ml.Clustering.Evaluate(model.Transform(train)).AverageDistance;
        context.Reporter.Metric("train:msd", trainMsd);
        if (test is not null)
        {
            var testRows = encoder.Encode(test, withLabels: false).Features;
            var testMsd = ml.Clustering.Evaluate(model.Transform(MlData.ToDataView(ml, testRows, new float[testRows.Length], encoder.FeatureCount))).AverageDistance;
            context.Reporter.Metric("test:msd", testMsd);
            context.Reporter.Metric("test:ssd", testMsd * testRows.Length);
        }

        ModelDirectory.Save(context.ModelDirectory, ml, model, train.Schema, new ModelManifest(Name, "clustering", encoder.FeatureCount, encoder, context.HyperParameters, context.Clock.GetUtcNow()));
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var ml = new MLContext();
        return new VectorPredictor<ClusterOutput>(ml, ModelDirectory.LoadModel(ml, modelDirectory), manifest, output =>
        {
            var cluster = (int)output.PredictedLabel - 1;
            return new PredictionRow(cluster, null, null, [output.Score.Length > cluster && cluster >= 0 ? output.Score[cluster] : 0]);
        });
    }
}
