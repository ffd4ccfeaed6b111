using System.Globalization;
using Kiln.Core.Training;
using Kiln.Training.Algorithms.Boosting;
using Kiln.Training.Algorithms.XGBoost;
using Kiln.Training.Data;

namespace Kiln.Training.Algorithms.LightGbm;

/// <summary>
/// LightGBM as a built-in algorithm, with the hyperparameter names of SageMaker's LightGBM (num_boost_round,
/// learning_rate, num_leaves, feature_fraction, bagging_fraction, lambda_l1/l2, …) and what sets it apart from
/// Kiln's XGBoost: leaf-wise trees, and categorical columns split natively (categorical_encoding=native, the
/// default): a category column becomes one integer code that LightGBM splits by groups of categories rather than
/// by one-hot indicators or ranks. Regression can train on a transformed target (target_transform log1p or
/// yeo-johnson); the model then predicts on the target's own scale.
/// </summary>
public sealed class LightGbmAlgorithm : BuiltInAlgorithm
{
    private static readonly string[] Objectives = ["regression", "regression_l1", "huber", "binary", "multiclass"];
    private static readonly string[] EvalMetrics = ["rmse", "mae", "mse", "r2", "logloss", "error", "auc", "aucpr", "accuracy", "f1", "merror", "mlogloss"];

    public override string Name => "lightgbm";

    public override HyperParameterSet HyperParameters { get; } = new("lightgbm",
    [
        new IntParameter("num_boost_round", 1, 100_000, 100),
        new ChoiceParameter("objective", Objectives, "regression"),
        new IntParameter("num_class", 2, 10_000, null),
        new FloatParameter("learning_rate", 0, 1, 0.1, MinExclusive: true),
        new IntParameter("num_leaves", 2, 131_072, 31),
        new IntParameter("max_depth", -1, 63, -1),
        new IntParameter("min_data_in_leaf", 1, 1_000_000, 20),
        new FloatParameter("min_sum_hessian_in_leaf", 0, double.PositiveInfinity, 1e-3),
        new FloatParameter("feature_fraction", 0, 1, 1, MinExclusive: true),
        new FloatParameter("bagging_fraction", 0, 1, 1, MinExclusive: true),
        new IntParameter("bagging_freq", 0, 1000, 0),
        new FloatParameter("lambda_l1", 0, double.PositiveInfinity, 0),
        new FloatParameter("lambda_l2", 0, double.PositiveInfinity, 0),
        new FloatParameter("min_gain_to_split", 0, double.PositiveInfinity, 0),
        new FloatParameter("max_delta_step", 0, double.PositiveInfinity, 0),
        new FloatParameter("scale_pos_weight", 0, double.PositiveInfinity, 1, MinExclusive: true),
        new IntParameter("max_bin", 2, 65_535, 255),
        new FloatParameter("cat_smooth", 0, double.PositiveInfinity, 10),
        new FloatParameter("cat_l2", 0, double.PositiveInfinity, 10),
        new IntParameter("max_cat_to_onehot", 1, 1024, 4),
        new IntParameter("min_data_per_group", 1, 1_000_000, 100),
        new IntParameter("max_cat_threshold", 1, 1024, 32),
        new IntParameter("early_stopping_rounds", 1, 100_000, null),
        new ChoiceParameter("eval_metric", EvalMetrics, null, Multiple: true),
        new ChoiceParameter("target_transform", TargetTransform.Kinds, TargetTransform.None),
        new IntParameter("seed", 0, int.MaxValue, 0),
        new IntParameter("num_threads", 1, 1024, null),
        new TextParameter(TargetColumnParameter),
        new ChoiceParameter(ImputeParameter, ["none", "mean", "median", "zero"], "none"),
        new ChoiceParameter(CategoricalEncodingParameter, ["native", "onehot", "ordinal", "target"], "native"),
    ]);

    public override string? ResourceHyperParameter => "num_boost_round";

    public override IReadOnlyList<string> MetricNames { get; } =
        EvalMetrics.SelectMany(metric => new[] { $"train:{metric}", $"validation:{metric}" }).ToList();

    public override IReadOnlyDictionary<string, string> TrialDefaults(IReadOnlyDictionary<string, string> hyperParameters, string objectiveMetric, int threads)
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!hyperParameters.ContainsKey("num_threads"))
        {
            defaults["num_threads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        var metric = objectiveMetric[(objectiveMetric.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var asked = hyperParameters.GetValueOrDefault("eval_metric");
        if (XGBoostAlgorithm.LightGbmMetric(metric) is not null && (asked is null || !asked.Split(',').Contains(metric)))
        {
            defaults["eval_metric"] = asked is null ? metric : $"{metric},{asked}";
        }

        return defaults;
    }

    protected override void ValidateCombination(HyperParameterValues values)
    {
        var objective = values.Choice("objective");
        if (objective == "multiclass" && !values.Has("num_class"))
        {
            throw new TrainingValidationException("Hyperparameter 'num_class' is required with objective 'multiclass'.");
        }

        if (objective != "multiclass" && values.Has("num_class"))
        {
            throw new TrainingValidationException($"Hyperparameter 'num_class' applies only to objective 'multiclass', not '{objective}'.");
        }

        if (values.Choice("target_transform") != TargetTransform.None && Problem(objective) != "regression")
        {
            throw new TrainingValidationException($"Hyperparameter 'target_transform' applies only to regression objectives, not '{objective}'.");
        }
    }

    private static string Problem(string objective) => objective switch
    {
        "binary" => "binary",
        "multiclass" => "multiclass",
        _ => "regression",
    };

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var objective = values.Choice("objective");
        var problem = Problem(objective);
        var inputs = await LoadTabularAsync(context, values, classification: problem != "regression").ConfigureAwait(false);
        CheckClasses(problem, inputs.Encoder, values);
        context.CancellationToken.ThrowIfCancellationRequested();

        var transform = problem == "regression" ? TargetTransform.Fit(values.Choice("target_transform"), inputs.Train.Labels) : null;
        var trainLabels = transform?.Apply(inputs.Train.Labels);
        var validationLabels = transform is not null && inputs.Validation is { } v ? transform.Apply(v.Labels) : null;
        var categorical = CategoricalFeatures(inputs.Encoder);
        var width = inputs.Encoder.FeatureCount;
        var rounds = (int)values.Int("num_boost_round");
        var metrics = XGBoostAlgorithm.RoundMetrics(values, problem);
        context.Reporter.Log($"Training LightGBM {objective} for up to {rounds} rounds (num_leaves={values.Int("num_leaves")}, learning_rate={values.Float("learning_rate")}), "
            + $"{categorical.Count} categorical feature(s) split natively{(transform is null ? "" : $", target transformed by {transform.Kind}")}.");
        // As for XGBoost: a small data set trains faster on fewer threads than the cores allow.
        var allowed = values.Has("num_threads") ? (int)values.Int("num_threads") : Environment.ProcessorCount;
        var threads = (int)Math.Clamp((long)inputs.Train.Labels.Length * width / 400_000, 1, Math.Max(1, allowed));
        await OpenMpThread.RunAsync(threads, granted =>
        {
            var categories = categorical.Count == 0 ? "" : " categorical_feature=" + string.Join(',', categorical);
            var dataset = FormattableString.Invariant($"max_bin={values.Int("max_bin")} verbosity=-1 num_threads={granted} min_data_per_group={values.Int("min_data_per_group")}") + categories;
            var patience = values.Has("early_stopping_rounds") ? (int)values.Int("early_stopping_rounds") : 0;
            var parameters = Parameters(values, objective, inputs.Encoder.Classes?.Count ?? 0, inputs.Validation is null ? [] : metrics, granted) + categories;
            var (booster, kept) = XGBoostAlgorithm.Boost(context, inputs, width, rounds, metrics, dataset, parameters, patience,
                reportRounds: transform is null, trainLabels, validationLabels);
            using (booster)
            {
                XGBoostAlgorithm.Report(context, problem, "train", Original(booster.TrainingOutputs(0), transform), inputs.Train.Labels, booster.Classes, kept);
                if (inputs.Validation is { } validation)
                {
                    XGBoostAlgorithm.Report(context, problem, "validation", Original(booster.TrainingOutputs(1), transform), validation.Labels, booster.Classes, kept);
                }

                Directory.CreateDirectory(context.ModelDirectory);
                booster.Save(Path.Combine(context.ModelDirectory, XGBoostAlgorithm.BoosterFile), kept);
                ModelDirectory.SaveManifest(context.ModelDirectory, new ModelManifest(Name, problem, width, inputs.Encoder, context.HyperParameters, context.Clock.GetUtcNow(), kept, transform));
                XGBoostAlgorithm.WriteImportance(context, inputs.Encoder, booster.Importance());
            }
        }, context.CancellationToken).ConfigureAwait(false);

        context.Reporter.Log("Model saved.");
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest) =>
        new BoostingPredictor(Booster.Load(Path.Combine(modelDirectory, XGBoostAlgorithm.BoosterFile)), manifest);

    /// <summary>The feature indexes of category columns encoded as codes (native or ordinal), which LightGBM splits as categories.</summary>
    public static IReadOnlyList<int> CategoricalFeatures(FeatureEncoder encoder)
    {
        var features = new List<int>();
        var offset = 0;
        foreach (var column in encoder.Columns)
        {
            if (column.Categories is not null && column.Ordinal)
            {
                features.Add(offset);
            }

            offset += column.Width;
        }

        return features;
    }

    private static double[] Original(double[] outputs, TargetTransform? transform) =>
        transform is null ? outputs : outputs.Select(transform.Invert).ToArray();

    private static string Parameters(HyperParameterValues values, string objective, int classes, IReadOnlyList<string> metrics, int threads)
    {
        var parts = new List<string>
        {
            objective == "multiclass" ? $"objective=multiclass num_class={Math.Max(classes, (int)values.Int("num_class"))}" : $"objective={objective}",
            $"learning_rate={values.Float("learning_rate")}",
            $"num_leaves={values.Int("num_leaves")}",
            $"max_depth={values.Int("max_depth")}",
            $"min_data_in_leaf={values.Int("min_data_in_leaf")}",
            $"min_sum_hessian_in_leaf={values.Float("min_sum_hessian_in_leaf")}",
            $"feature_fraction={values.Float("feature_fraction")}",
            $"bagging_fraction={values.Float("bagging_fraction")}",
            $"bagging_freq={(values.Float("bagging_fraction") < 1 && values.Int("bagging_freq") == 0 ? 1 : values.Int("bagging_freq"))}",
            $"lambda_l1={values.Float("lambda_l1")}",
            $"lambda_l2={values.Float("lambda_l2")}",
            $"min_gain_to_split={values.Float("min_gain_to_split")}",
            $"max_delta_step={values.Float("max_delta_step")}",
            $"cat_smooth={values.Float("cat_smooth")}",
            $"cat_l2={values.Float("cat_l2")}",
            $"max_cat_to_onehot={values.Int("max_cat_to_onehot")}",
            $"max_cat_threshold={values.Int("max_cat_threshold")}",
            $"min_data_per_group={values.Int("min_data_per_group")}",
            $"seed={values.Int("seed")}",
            "deterministic=true",
            "force_row_wise=true",
            "verbosity=-1",
            $"metric={(metrics.Count == 0 ? "None" : string.Join(',', metrics.Select(metric => XGBoostAlgorithm.LightGbmMetric(metric))))}",
            $"num_threads={threads}",
        };
        if (objective == "binary")
        {
            parts.Add($"scale_pos_weight={values.Float("scale_pos_weight")}");
        }

        return string.Join(" ", parts);
    }

    private static void CheckClasses(string problem, FeatureEncoder encoder, HyperParameterValues values)
    {
        var classes = encoder.Classes?.Count ?? 0;
        if (problem == "binary" && classes != 2)
        {
            throw new TrainingFailedException($"objective binary needs exactly two label values, found {classes} ({string.Join(", ", (encoder.Classes ?? []).Take(5))}).");
        }

        if (problem == "multiclass" && classes > values.Int("num_class"))
        {
            throw new TrainingFailedException($"The labels have {classes} classes but num_class is {values.Int("num_class")}.");
        }
    }
}
