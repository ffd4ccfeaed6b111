using Kiln.Core.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Kiln.Training.Algorithms.LinearLearner;

/// <summary>
/// SageMaker's linear learner on ML.NET's SDCA: logistic regression for binary_classifier, maximum
/// entropy for multiclass_classifier, least squares for regressor; epochs bound the passes, wd and l1 are
/// the L2 and L1 penalties, normalize_data standardizes features first (zero mean, unit variance, as SageMaker does).
/// </summary>
public sealed class LinearLearnerAlgorithm : BuiltInAlgorithm
{
    /// <summary>
    /// SDCA stops when its duality gap is this share of the loss. ML.NET's default (0.1) stops far short of the optimum
    /// on small tables; SageMaker's learner trains until its epochs or early stopping end it, which this approaches.
    /// </summary>
    private const float ConvergenceTolerance = 1e-4f;

    public override string Name => "linear-learner";

    public override HyperParameterSet HyperParameters { get; } = new("linear-learner",
    [
        new ChoiceParameter("predictor_type", ["binary_classifier", "multiclass_classifier", "regressor"], null, Required: true),
        new IntParameter("num_classes", 3, 1_000_000, null),
        new IntParameter("feature_dim", 1, int.MaxValue, null),
        new IntParameter("epochs", 1, 1_000, 15),
        new IntParameter("mini_batch_size", 1, int.MaxValue, 1000),
        new FloatOrAutoParameter("wd", 0, double.PositiveInfinity),
        new FloatOrAutoParameter("l1", 0, double.PositiveInfinity),
        new FloatOrAutoParameter("learning_rate", 0, double.PositiveInfinity),
        new BoolParameter("normalize_data", true),
        new BoolParameter("normalize_label", null),
        new BoolParameter("use_bias", true),
        new ChoiceParameter("optimizer", ["auto", "sgd", "adam", "rmsprop"], "auto"),
        new ChoiceParameter("loss", ["auto", "logistic", "squared_loss", "absolute_loss", "hinge_loss", "softmax_loss"], "auto"),
        new ChoiceParameter("num_models", ["auto"], "auto"),
        new IntParameter("early_stopping_patience", 1, 1_000, 3),
        new TextParameter(TargetColumnParameter),
        .. PreprocessingParameters,
    ]);

    public override IReadOnlyList<string> MetricNames { get; } =
        new[] { "train", "validation", "test" }
            .SelectMany(channel => new[] { "objective_loss", "binary_classification_accuracy", "binary_f_beta", "precision", "recall", "roc_auc_score", "multiclass_accuracy", "mse", "rmse", "absolute_loss" }
                .Select(metric => $"{channel}:{metric}"))
            .ToList();

    protected override void ValidateCombination(HyperParameterValues values)
    {
        if (values.Choice("predictor_type") == "multiclass_classifier" && !values.Has("num_classes"))
        {
            throw new TrainingValidationException("Hyperparameter 'num_classes' is required when predictor_type is multiclass_classifier.");
        }
    }

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var problem = values.Choice("predictor_type") switch
        {
            "binary_classifier" => "binary",
            "multiclass_classifier" => "multiclass",
            _ => "regression",
        };
        var inputs = await LoadTabularAsync(context, values, classification: problem != "regression").ConfigureAwait(false);
        var ml = new MLContext(0);
        var width = inputs.Encoder.FeatureCount;
        var train = MlData.ToDataView(ml, inputs.Train.Features, inputs.Train.Labels, width);
        var epochs = (int)values.Int("epochs");
        var l2 = values.Has("wd") && values.Text("wd") != "auto" ? (float?)values.Float("wd") : null;
        var l1 = values.Has("l1") && values.Text("l1") != "auto" ? (float?)values.Float("l1") : null;
        IEstimator<ITransformer> pipeline = values.Bool("normalize_data")
            ? ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            : new EstimatorChain<ITransformer>();
        pipeline = problem switch
        {
            "binary" => pipeline.Append(ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Boolean))
                .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { MaximumNumberOfIterations = epochs, ConvergenceTolerance = ConvergenceTolerance, L2Regularization = l2, L1Regularization = l1, NumberOfThreads = 1 })),
            "multiclass" => pipeline.Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = epochs, ConvergenceTolerance = ConvergenceTolerance, L2Regularization = l2, L1Regularization = l1, NumberOfThreads = 1 })),
            _ => pipeline.Append(ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { MaximumNumberOfIterations = epochs, ConvergenceTolerance = ConvergenceTolerance, L2Regularization = l2, L1Regularization = l1, NumberOfThreads = 1 })),
        };
        context.Reporter.Log($"Training a linear {problem} model for up to {epochs} epochs.");
        var model = await Fitting.RunAsync(() => pipeline.Fit(train), context.CancellationToken).ConfigureAwait(false);
        Report(context, ml, model, problem, "train", train);
        foreach (var (channel, data) in new[] { ("validation", inputs.Validation), ("test", inputs.Test) })
        {
            if (data is { } rows)
            {
                Report(context, ml, model, problem, channel, MlData.ToDataView(ml, rows.Features, rows.Labels, width));
            }
        }

        ModelDirectory.Save(context.ModelDirectory, ml, model, train.Schema, new ModelManifest(Name, problem, width, inputs.Encoder, context.HyperParameters, context.Clock.GetUtcNow()));
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var ml = new MLContext();
        var model = ModelDirectory.LoadModel(ml, modelDirectory);
        return manifest.Problem switch
        {
            "binary" => new VectorPredictor<BinaryOutput>(ml, model, manifest, output => Outputs.Binary(output, manifest.Encoder)),
            "multiclass" => new VectorPredictor<MulticlassOutput>(ml, model, manifest, output => Outputs.Multiclass(output, manifest.Encoder)),
            _ => new VectorPredictor<ScoreOutput>(ml, model, manifest, output => new Core.Training.PredictionRow(output.Score)),
        };
    }

    private static void Report(TrainingContext context, MLContext ml, ITransformer model, string problem, string channel, IDataView data)
    {
        var scored = model.Transform(data);
        var metrics = new Dictionary<string, double>();
        switch (problem)
        {
            case "binary":
                var binary = ml.BinaryClassification.Evaluate(scored);
                metrics["binary_classification_accuracy"] = binary.Accuracy;
                metrics["binary_f_beta"] = binary.F1Score;
                metrics["precision"] = binary.PositivePrecision;
                metrics["recall"] = binary.PositiveRecall;
                metrics["roc_auc_score"] = binary.AreaUnderRocCurve;
                metrics["objective_loss"] = binary.LogLoss;
                break;
            case "multiclass":
                var multi = ml.MulticlassClassification.Evaluate(scored);
                metrics["multiclass_accuracy"] = multi.MicroAccuracy;
                metrics["objective_loss"] = multi.LogLoss;
                break;
            default:
                var regression = ml.Regression.Evaluate(scored);
                metrics["mse"] = regression.MeanSquaredError;
                metrics["rmse"] = regression.RootMeanSquaredError;
                metrics["absolute_loss"] = regression.MeanAbsoluteError;
                metrics["objective_loss"] = regression.MeanSquaredError;
                break;
        }

        foreach (var (name, value) in metrics)
        {
            context.Reporter.Metric($"{channel}:{name}", value);
        }
    }
}
