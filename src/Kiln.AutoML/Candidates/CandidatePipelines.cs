using System.Globalization;
using Kiln.AutoML.Data;
using Kiln.Core.AutoML;
using Kiln.Core.Tuning;
using Kiln.Training.Algorithms.Boosting;
using Kiln.Training.Data;

namespace Kiln.AutoML.Candidates;

/// <summary>
/// One candidate pipeline: preprocessing steps and a built-in algorithm, with the hyperparameters fixed for it and
/// the ranges the tuning job searches. Autopilot names them dpp0, dpp1, … (data processing pipelines).
/// </summary>
public sealed record CandidatePipeline(
    string Name,
    string Algorithm,
    string Image,
    IReadOnlyList<string> Preprocessing,
    IReadOnlyDictionary<string, string> StaticHyperParameters,
    IReadOnlyList<ParameterRange> Ranges,
    TuningObjective TuningObjective);

/// <summary>
/// Chooses the candidate pipelines for a data set, as Autopilot's candidate generation does: gradient-boosted trees
/// on the raw columns (missing values left to the trees, categories one-hot), the same with categories as ranks and
/// medians filled in when the data has categories or gaps, a linear model on imputed, one-hot (or, for
/// high-cardinality columns, out-of-fold target-encoded), standardized features, and LightGBM with native
/// categorical splits (and a tuned target transform for regression). Text classification gets word n-gram
/// models of two lengths.
/// </summary>
public static class CandidatePipelines
{
    public const string XGBoostImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
    public const string LinearLearnerImage = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1";
    public const string LightGbmImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-lightgbm:4.7";
    public const string BlazingTextImage = "811284229777.dkr.ecr.us-east-1.amazonaws.com/blazingtext:1";

    public static IReadOnlyList<CandidatePipeline> For(AutoMLProblemType problem, TableProfile profile, string? textColumn)
    {
        if (problem == AutoMLProblemType.TextClassification)
        {
            return
            [
                BlazingText("dpp0-blazingtext", profile.Target, textColumn!, ngrams: 1),
                BlazingText("dpp1-blazingtext", profile.Target, textColumn!, ngrams: 2),
            ];
        }

        var classes = profile.TargetCounts.Count;
        var pipelines = new List<CandidatePipeline> { XGBoost("dpp0-xgboost", problem, classes, profile.Target, ordinal: false, impute: false) };
        if (profile.HasCategoricalColumns || profile.HasMissingValues)
        {
            pipelines.Add(XGBoost("dpp1-xgboost", problem, classes, profile.Target, ordinal: true, impute: true));
        }

        var highCardinality = profile.Columns.Any(column => column.Kind == ColumnKind.Categorical && column.Distinct > FeatureEncoder.HighCardinality);
        pipelines.Add(LinearLearner($"dpp{pipelines.Count}-linear-learner", problem, classes, profile.Target,
            targetEncoding: highCardinality && problem != AutoMLProblemType.MulticlassClassification));
        pipelines.Add(LightGbm($"dpp{pipelines.Count}-lightgbm", problem, classes, profile));
        return pipelines;
    }

    private static CandidatePipeline XGBoost(string name, AutoMLProblemType problem, int classes, string target, bool ordinal, bool impute)
    {
        var fixedValues = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["target_column"] = target,
            ["early_stopping_rounds"] = "20",
            ["impute_missing"] = impute ? "median" : "none",
            ["categorical_encoding"] = ordinal ? "ordinal" : "onehot",
        };
        string metric;
        switch (problem)
        {
            case AutoMLProblemType.BinaryClassification:
                fixedValues["objective"] = "binary:logistic";
                metric = "validation:logloss";
                break;
            case AutoMLProblemType.MulticlassClassification:
                fixedValues["objective"] = "multi:softprob";
                fixedValues["num_class"] = classes.ToString(CultureInfo.InvariantCulture);
                metric = "validation:mlogloss";
                break;
            default:
                fixedValues["objective"] = "reg:squarederror";
                metric = "validation:rmse";
                break;
        }

        fixedValues["eval_metric"] = metric["validation:".Length..];
        return new CandidatePipeline(name, "xgboost", XGBoostImage,
            [
                impute ? "RobustImputer (median for numbers)" : "Missing numbers left to the trees",
                ordinal ? "Categories as frequency ranks (OrdinalEncoder)" : "Categories one-hot (ThresholdOneHotEncoder, 64 commonest values)",
            ],
            fixedValues,
            [
                new ParameterRange("num_round", ParameterKind.Integer, 50, 500, ScalingType.Logarithmic),
                new ParameterRange("eta", ParameterKind.Continuous, 0.01, 0.4, ScalingType.Logarithmic),
                new ParameterRange("max_depth", ParameterKind.Integer, 2, 8),
                new ParameterRange("min_child_weight", ParameterKind.Continuous, 0.5, 20, ScalingType.Logarithmic),
                new ParameterRange("subsample", ParameterKind.Continuous, 0.5, 1),
                new ParameterRange("colsample_bytree", ParameterKind.Continuous, 0.4, 1),
                new ParameterRange("lambda", ParameterKind.Continuous, 0.01, 10, ScalingType.Logarithmic),
                new ParameterRange("alpha", ParameterKind.Continuous, 0.001, 10, ScalingType.Logarithmic),
            ],
            new TuningObjective(false, metric));
    }

    /// <summary>
    /// LightGBM with categories split natively (each category column one integer code) and leaf-wise trees. For
    /// regression the tuner also chooses a target transform (log1p when the target has no values at or below -1,
    /// Yeo-Johnson always), so a long-tailed target such as a price can be fitted on a log-like scale; the
    /// candidate's model predicts on the original scale either way, so validation compares like with like.
    /// </summary>
    private static CandidatePipeline LightGbm(string name, AutoMLProblemType problem, int classes, TableProfile profile)
    {
        var fixedValues = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["target_column"] = profile.Target,
            ["early_stopping_rounds"] = "30",
            ["categorical_encoding"] = "native",
        };
        string metric;
        var ranges = new List<ParameterRange>
        {
            new("num_boost_round", ParameterKind.Integer, 100, 1000, ScalingType.Logarithmic),
            new("learning_rate", ParameterKind.Continuous, 0.02, 0.3, ScalingType.Logarithmic),
            new("num_leaves", ParameterKind.Integer, 8, 128, ScalingType.Logarithmic),
            new("min_data_in_leaf", ParameterKind.Integer, 2, 60, ScalingType.Logarithmic),
            new("feature_fraction", ParameterKind.Continuous, 0.5, 1),
            new("bagging_fraction", ParameterKind.Continuous, 0.6, 1),
            new("lambda_l2", ParameterKind.Continuous, 0.001, 10, ScalingType.Logarithmic),
            new("cat_smooth", ParameterKind.Continuous, 1, 50, ScalingType.Logarithmic),
        };
        switch (problem)
        {
            case AutoMLProblemType.BinaryClassification:
                fixedValues["objective"] = "binary";
                metric = "validation:logloss";
                break;
            case AutoMLProblemType.MulticlassClassification:
                fixedValues["objective"] = "multiclass";
                fixedValues["num_class"] = classes.ToString(CultureInfo.InvariantCulture);
                metric = "validation:mlogloss";
                break;
            default:
                fixedValues["objective"] = "regression";
                metric = "validation:rmse";
                var logFits = profile.TargetColumn.Numbers is { Min: > -1 };
                ranges.Add(new("target_transform", ParameterKind.Categorical,
                    Values: logFits ? [TargetTransform.None, TargetTransform.Log1p, TargetTransform.YeoJohnson] : [TargetTransform.None, TargetTransform.YeoJohnson]));
                break;
        }

        fixedValues["eval_metric"] = metric["validation:".Length..];
        var preprocessing = new List<string> { "Missing numbers left to the trees", "Categories as codes split natively by LightGBM (up to 1,024 values a column)" };
        if (problem == AutoMLProblemType.Regression)
        {
            preprocessing.Add("Target transform chosen by validation (none, log1p or Yeo-Johnson), inverted at prediction");
        }

        return new CandidatePipeline(name, "lightgbm", LightGbmImage,
            preprocessing,
            fixedValues,
            ranges,
            new TuningObjective(false, metric));
    }

    private static CandidatePipeline LinearLearner(string name, AutoMLProblemType problem, int classes, string target, bool targetEncoding)
    {
        var fixedValues = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["target_column"] = target,
            ["impute_missing"] = "median",
            ["categorical_encoding"] = targetEncoding ? "target" : "onehot",
            ["normalize_data"] = "true",
            ["predictor_type"] = problem switch
            {
                AutoMLProblemType.BinaryClassification => "binary_classifier",
                AutoMLProblemType.MulticlassClassification => "multiclass_classifier",
                _ => "regressor",
            },
        };
        if (problem == AutoMLProblemType.MulticlassClassification)
        {
            fixedValues["num_classes"] = classes.ToString(CultureInfo.InvariantCulture);
        }

        return new CandidatePipeline(name, "linear-learner", LinearLearnerImage,
            [
                "RobustImputer (median for numbers)",
                targetEncoding
                    ? $"Categories of more than {FeatureEncoder.HighCardinality} values target-encoded (smoothed means, out-of-fold on training rows), others one-hot"
                    : "Categories one-hot (ThresholdOneHotEncoder, 64 commonest values)",
                "RobustStandardScaler (zero mean, unit variance)",
            ],
            fixedValues,
            [
                new ParameterRange("wd", ParameterKind.Continuous, 1e-6, 0.05, ScalingType.Logarithmic),
                new ParameterRange("l1", ParameterKind.Continuous, 1e-7, 0.1, ScalingType.Logarithmic),
                new ParameterRange("epochs", ParameterKind.Integer, 5, 50),
            ],
            new TuningObjective(false, problem == AutoMLProblemType.Regression ? "validation:rmse" : "validation:objective_loss"));
    }

    private static CandidatePipeline BlazingText(string name, string target, string textColumn, int ngrams) =>
        new(name, "blazingtext", BlazingTextImage,
            ["Text lower-cased and tokenized", $"Word {(ngrams == 1 ? "unigrams" : "unigrams and bigrams")} and character trigrams, L2-normalized (TextFeaturizer)"],
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["mode"] = "supervised",
                ["target_column"] = target,
                ["text_column"] = textColumn,
                ["word_ngrams"] = ngrams.ToString(CultureInfo.InvariantCulture),
            },
            [new ParameterRange("epochs", ParameterKind.Integer, 1, 10)],
            new TuningObjective(true, "validation:accuracy"));
}
