using Kiln.Core.Training;
using Kiln.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Kiln.Training.Algorithms.XGBoost;

/// <summary>
/// SageMaker's XGBoost (1.7 hyperparameters, objectives and metric names) on ML.NET's LightGBM. The
/// mapping keeps XGBoost's meaning: depth-wise trees (max_depth, with 2^max_depth leaves), eta as the
/// learning rate, lambda/alpha as L2/L1, min_child_weight on the hessian, row and column subsampling,
/// early stopping on the validation channel.
/// </summary>
public sealed class XGBoostAlgorithm : BuiltInAlgorithm
{
    private static readonly string[] Objectives = ["binary:logistic", "multi:softmax", "multi:softprob", "reg:squarederror", "reg:linear"];
    private static readonly string[] EvalMetrics = ["rmse", "mae", "mse", "r2", "logloss", "error", "auc", "aucpr", "accuracy", "f1", "merror", "mlogloss"];

    public override string Name => "xgboost";

    public override HyperParameterSet HyperParameters { get; } = new("xgboost",
    [
        new IntParameter("num_round", 1, 100_000, null, Required: true),
        new IntParameter("num_class", 2, 10_000, null),
        new ChoiceParameter("objective", Objectives, "reg:squarederror"),
        new FloatParameter("eta", 0, 1, 0.3),
        new IntParameter("max_depth", 0, 63, 6),
        new FloatParameter("min_child_weight", 0, double.PositiveInfinity, 1),
        new FloatParameter("subsample", 0, 1, 1, MinExclusive: true),
        new FloatParameter("colsample_bytree", 0, 1, 1, MinExclusive: true),
        new FloatParameter("colsample_bylevel", 0, 1, 1, MinExclusive: true),
        new FloatParameter("colsample_bynode", 0, 1, 1, MinExclusive: true),
        new FloatParameter("lambda", 0, double.PositiveInfinity, 1),
        new FloatParameter("alpha", 0, double.PositiveInfinity, 0),
        new FloatParameter("gamma", 0, double.PositiveInfinity, 0),
        new FloatParameter("max_delta_step", 0, double.PositiveInfinity, 0),
        new FloatParameter("scale_pos_weight", 0, double.PositiveInfinity, 1, MinExclusive: true),
        new IntParameter("early_stopping_rounds", 1, 100_000, null),
        new ChoiceParameter("eval_metric", EvalMetrics, null, Multiple: true),
        new IntParameter("seed", 0, int.MaxValue, 0),
        new IntParameter("max_bin", 2, 65_535, 256),
        new ChoiceParameter("tree_method", ["auto", "exact", "approx", "hist", "gpu_hist"], "auto"),
        new ChoiceParameter("booster", ["gbtree"], "gbtree"),
        new IntParameter("verbosity", 0, 3, 1),
        new IntParameter("nthread", 1, 1024, null),
        new IntParameter("csv_weights", 0, 1, 0),
        new TextParameter(TargetColumnParameter),
    ]);

    public override IReadOnlyList<string> MetricNames { get; } =
        EvalMetrics.SelectMany(metric => new[] { $"train:{metric}", $"validation:{metric}" }).ToList();

    protected override void ValidateCombination(HyperParameterValues values)
    {
        var objective = values.Choice("objective");
        if (objective.StartsWith("multi:", StringComparison.Ordinal) && !values.Has("num_class"))
        {
            throw new TrainingValidationException($"Hyperparameter 'num_class' is required with objective '{objective}'.");
        }

        if (!objective.StartsWith("multi:", StringComparison.Ordinal) && values.Has("num_class"))
        {
            throw new TrainingValidationException($"Hyperparameter 'num_class' applies only to multi:softmax and multi:softprob, not '{objective}'.");
        }
    }

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var objective = values.Choice("objective");
        var problem = objective switch
        {
            "binary:logistic" => "binary",
            "multi:softmax" or "multi:softprob" => "multiclass",
            _ => "regression",
        };
        var inputs = await LoadTabularAsync(context, values, classification: problem != "regression").ConfigureAwait(false);
        CheckClasses(problem, inputs.Encoder, values);
        context.CancellationToken.ThrowIfCancellationRequested();

        var ml = new MLContext((int)values.Int("seed"));
        var width = inputs.Encoder.FeatureCount;
        var train = MlData.ToDataView(ml, inputs.Train.Features, inputs.Train.Labels, width);
        var validation = inputs.Validation is { } v ? MlData.ToDataView(ml, v.Features, v.Labels, width) : null;
        // LightGBM scores the validation set every round when it has one; only early stopping needs that.
        var watched = values.Has("early_stopping_rounds") ? validation : null;
        var rounds = (int)values.Int("num_round");
        context.Reporter.Log($"Training {objective} for up to {rounds} rounds (max_depth={values.Int("max_depth")}, eta={values.Float("eta")}) on LightGBM.");

        var model = await Fitting.RunAsync(() => problem switch
        {
            "binary" => FitBinary(ml, values, train, watched),
            "multiclass" => FitMulticlass(ml, values, train, watched),
            _ => FitRegression(ml, values, train, watched),
        }, context.CancellationToken).ConfigureAwait(false);

        context.CancellationToken.ThrowIfCancellationRequested();
        Report(context, ml, model, problem, "train", train, rounds);
        if (validation is not null)
        {
            Report(context, ml, model, problem, "validation", validation, rounds);
        }

        ModelPackage.Save(context.ModelDirectory, ml, model, train.Schema,
            new ModelManifest(Name, problem, width, inputs.Encoder, context.HyperParameters, DateTimeOffset.UtcNow));
        context.Reporter.Log("Model saved.");
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var ml = new MLContext();
        var model = ModelPackage.LoadModel(ml, modelDirectory);
        return manifest.Problem switch
        {
            "binary" => new VectorPredictor<BinaryOutput>(ml, model, manifest, output => Outputs.Binary(output, manifest.Encoder)),
            "multiclass" => new VectorPredictor<MulticlassOutput>(ml, model, manifest, output => Outputs.Multiclass(output, manifest.Encoder)),
            _ => new VectorPredictor<ScoreOutput>(ml, model, manifest, output => new PredictionRow(output.Score)),
        };
    }

    private static void CheckClasses(string problem, FeatureEncoder encoder, HyperParameterValues values)
    {
        var classes = encoder.Classes?.Count ?? 0;
        if (problem == "binary" && classes != 2)
        {
            throw new TrainingFailedException($"binary:logistic needs exactly two label values, found {classes} ({string.Join(", ", (encoder.Classes ?? []).Take(5))}).");
        }

        if (problem == "multiclass" && classes > values.Int("num_class"))
        {
            throw new TrainingFailedException($"The labels have {classes} classes but num_class is {values.Int("num_class")}.");
        }
    }

    private static GradientBooster.Options Booster(HyperParameterValues values)
    {
        var subsample = values.Float("subsample");
        return new GradientBooster.Options
        {
            MaximumTreeDepth = (int)values.Int("max_depth"),
            MinimumChildWeight = values.Float("min_child_weight"),
            SubsampleFraction = subsample,
            SubsampleFrequency = subsample < 1 ? 1 : 0,
            FeatureFraction = values.Float("colsample_bytree") * values.Float("colsample_bylevel") * values.Float("colsample_bynode"),
            L2Regularization = values.Float("lambda"),
            L1Regularization = values.Float("alpha"),
            MinimumSplitGain = values.Float("gamma"),
        };
    }

    /// <summary>The options every objective shares; XGBoost grows depth-wise, so leaves follow from max_depth.</summary>
    private static void Configure<TOptions, TOutput, TTransformer, TModel>(LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase options, HyperParameterValues values, bool hasValidation)
        where TOptions : LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        var depth = (int)values.Int("max_depth");
        options.NumberOfIterations = (int)values.Int("num_round");
        options.LearningRate = values.Float("eta");
        options.NumberOfLeaves = depth == 0 ? 255 : (int)Math.Min(1 << Math.Min(depth, 17), 131_072);
        options.MinimumExampleCountPerLeaf = 1;
        options.MaximumBinCountPerFeature = (int)values.Int("max_bin");
        options.Booster = Booster(values);
        options.Seed = (int)values.Int("seed");
        options.NumberOfThreads = values.Has("nthread") ? (int)values.Int("nthread") : null;
        options.EarlyStoppingRound = hasValidation && values.Has("early_stopping_rounds") ? (int)values.Int("early_stopping_rounds") : 0;
    }

    private static ITransformer FitBinary(MLContext ml, HyperParameterValues values, IDataView train, IDataView? validation)
    {
        var options = new LightGbmBinaryTrainer.Options { WeightOfPositiveExamples = values.Float("scale_pos_weight") };
        Configure(options, values, validation is not null);
        // Binary trainers take a Boolean label; the encoder's labels are class indexes 0 and 1.
        var toBool = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Boolean).Fit(train);
        var trainer = ml.BinaryClassification.Trainers.LightGbm(options);
        var model = validation is null ? trainer.Fit(toBool.Transform(train)) : trainer.Fit(toBool.Transform(train), toBool.Transform(validation));
        return toBool.Append(model);
    }

    private static ITransformer FitMulticlass(MLContext ml, HyperParameterValues values, IDataView train, IDataView? validation)
    {
        var options = new LightGbmMulticlassTrainer.Options { UseSoftmax = true };
        Configure(options, values, validation is not null);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(train);
        var trainer = ml.MulticlassClassification.Trainers.LightGbm(options);
        var model = validation is null ? trainer.Fit(keys.Transform(train)) : trainer.Fit(keys.Transform(train), keys.Transform(validation));
        return keys.Append(model);
    }

    private static ITransformer FitRegression(MLContext ml, HyperParameterValues values, IDataView train, IDataView? validation)
    {
        var options = new LightGbmRegressionTrainer.Options();
        Configure(options, values, validation is not null);
        var trainer = ml.Regression.Trainers.LightGbm(options);
        return validation is null ? trainer.Fit(train) : trainer.Fit(train, validation);
    }

    /// <summary>Every metric SageMaker's XGBoost can emit for this objective, for this channel (train:auc, validation:rmse, …).</summary>
    private static void Report(TrainingContext context, MLContext ml, ITransformer model, string problem, string channel, IDataView data, int rounds)
    {
        var scored = model.Transform(data);
        var metrics = new Dictionary<string, double>();
        switch (problem)
        {
            case "binary":
                var binary = ml.BinaryClassification.Evaluate(scored);
                metrics["auc"] = binary.AreaUnderRocCurve;
                metrics["aucpr"] = binary.AreaUnderPrecisionRecallCurve;
                metrics["logloss"] = binary.LogLoss;
                metrics["error"] = 1 - binary.Accuracy;
                metrics["accuracy"] = binary.Accuracy;
                metrics["f1"] = binary.F1Score;
                break;
            case "multiclass":
                var multi = ml.MulticlassClassification.Evaluate(scored);
                metrics["merror"] = 1 - multi.MicroAccuracy;
                metrics["mlogloss"] = multi.LogLoss;
                metrics["accuracy"] = multi.MicroAccuracy;
                break;
            default:
                var regression = ml.Regression.Evaluate(scored);
                metrics["rmse"] = regression.RootMeanSquaredError;
                metrics["mae"] = regression.MeanAbsoluteError;
                metrics["mse"] = regression.MeanSquaredError;
                metrics["r2"] = regression.RSquared;
                break;
        }

        foreach (var (name, value) in metrics)
        {
            context.Reporter.Metric($"{channel}:{name}", value, rounds);
        }

        context.Reporter.Log($"[{rounds}]\t" + string.Join("\t", metrics.Select(m => $"{channel}-{m.Key}:{m.Value.ToString("F5", System.Globalization.CultureInfo.InvariantCulture)}")));
    }
}
