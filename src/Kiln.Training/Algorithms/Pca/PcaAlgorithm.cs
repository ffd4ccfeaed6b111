using Kiln.Core.Training;
using Microsoft.ML;

namespace Kiln.Training.Algorithms.Pca;

/// <summary>SageMaker's PCA on ML.NET's principal-component projection: num_components components, centred when subtract_mean.</summary>
public sealed class PcaAlgorithm : BuiltInAlgorithm
{
    public override string Name => "pca";

    public override HyperParameterSet HyperParameters { get; } = new("pca",
    [
        new IntParameter("feature_dim", 1, int.MaxValue, null, Required: true),
        new IntParameter("num_components", 1, int.MaxValue, null, Required: true),
        new IntParameter("mini_batch_size", 1, int.MaxValue, 500),
        new ChoiceParameter("algorithm_mode", ["regular", "randomized"], "regular"),
        new BoolParameter("subtract_mean", true),
        new IntParameter("extra_components", -1, int.MaxValue, -1),
        new TextParameter(TargetColumnParameter),
    ]);

    public override IReadOnlyList<string> MetricNames { get; } = [];

    protected override IReadOnlyList<string> AllowedChannels => ["train", "test"];

    protected override void ValidateCombination(HyperParameterValues values)
    {
        if (values.Int("num_components") > values.Int("feature_dim"))
        {
            throw new TrainingValidationException("Hyperparameter 'num_components' must not exceed 'feature_dim'.");
        }
    }

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var (encoder, rows, _) = await LoadUnsupervisedAsync(context, values, values.Int("feature_dim")).ConfigureAwait(false);
        var ml = new MLContext(0);
        var train = MlData.ToDataView(ml, rows, new float[rows.Length], encoder.FeatureCount);
        var components = (int)values.Int("num_components");
        var extra = values.Int("extra_components");
        var estimator = ml.Transforms.ProjectToPrincipalComponents(
            "Score", "Features", rank: components, overSampling: extra > 0 ? (int)extra : 20, ensureZeroMean: values.Bool("subtract_mean"), seed: 0);
        context.Reporter.Log($"Projecting {rows.Length} rows onto {components} principal components.");
        var model = await Fitting.RunAsync(() => estimator.Fit(train), context.CancellationToken).ConfigureAwait(false);
        ModelDirectory.Save(context.ModelDirectory, ml, model, train.Schema, new ModelManifest(Name, "projection", encoder.FeatureCount, encoder, context.HyperParameters, context.Clock.GetUtcNow()));
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var ml = new MLContext();
        return new VectorPredictor<MulticlassOutput>(ml, ModelDirectory.LoadModel(ml, modelDirectory), manifest, output =>
            new PredictionRow(output.Score.Length > 0 ? output.Score[0] : 0, null, null, output.Score.Select(v => (double)v).ToList()));
    }
}
