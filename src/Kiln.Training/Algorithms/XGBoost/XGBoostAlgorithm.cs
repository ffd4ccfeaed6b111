using Kiln.Core.Training;
using Kiln.Training.Algorithms.Boosting;
using Kiln.Training.Data;
using Microsoft.ML;

namespace Kiln.Training.Algorithms.XGBoost;

/// <summary>
/// SageMaker's XGBoost (1.7 hyperparameters, objectives and metric names) on LightGBM, called through its C API.
/// The mapping keeps XGBoost's meaning: depth-wise trees (max_depth, with 2^max_depth leaves), eta as the
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
        .. PreprocessingParameters,
    ]);

    public override string? ResourceHyperParameter => "num_round";

    /// <summary>A trial reports its objective every round when it is an eval_metric; trials side by side split the cores.</summary>
    public override IReadOnlyDictionary<string, string> TrialDefaults(IReadOnlyDictionary<string, string> hyperParameters, string objectiveMetric, int threads)
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!hyperParameters.ContainsKey("nthread"))
        {
            defaults["nthread"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var metric = objectiveMetric[(objectiveMetric.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var asked = hyperParameters.GetValueOrDefault("eval_metric");
        if (LightGbmMetric(metric) is not null && (asked is null || !asked.Split(',').Contains(metric)))
        {
            defaults["eval_metric"] = asked is null ? metric : $"{metric},{asked}";
        }

        return defaults;
    }

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

        var width = inputs.Encoder.FeatureCount;
        var rounds = (int)values.Int("num_round");
        var metrics = RoundMetrics(values, problem);
        context.Reporter.Log($"Training {objective} for up to {rounds} rounds (max_depth={values.Int("max_depth")}, eta={values.Float("eta")}) on LightGBM.");
        var threads = Threads(values, (long)inputs.Train.Labels.Length * width);
        await OpenMpThread.RunAsync(threads, granted =>
        {
            var dataset = FormattableString.Invariant($"max_bin={values.Int("max_bin")} verbosity=-1 num_threads={granted}");
            var patience = values.Has("early_stopping_rounds") ? (int)values.Int("early_stopping_rounds") : 0;
            var parameters = Parameters(values, problem, inputs.Encoder.Classes?.Count ?? 0, inputs.Validation is null ? [] : metrics, granted);
            var (booster, kept) = Boost(context, inputs, width, rounds, metrics, dataset, parameters, patience);
            using (booster)
            {
                Report(context, problem, "train", booster.TrainingOutputs(0), inputs.Train.Labels, booster.Classes, kept);
                if (inputs.Validation is { } validation)
                {
                    Report(context, problem, "validation", booster.TrainingOutputs(1), validation.Labels, booster.Classes, kept);
                }

                Directory.CreateDirectory(context.ModelDirectory);
                booster.Save(Path.Combine(context.ModelDirectory, BoosterFile), kept);
                ModelDirectory.SaveManifest(context.ModelDirectory, new ModelManifest(Name, problem, width, inputs.Encoder, context.HyperParameters, context.Clock.GetUtcNow(), kept));
                WriteImportance(context, inputs.Encoder, booster.Importance());
            }
        }, context.CancellationToken).ConfigureAwait(false);

        context.Reporter.Log("Model saved.");
    }

    /// <summary>The LightGBM model file a trained package holds (packages from before it hold ML.NET's model.zip).</summary>
    public const string BoosterFile = "model.txt";

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var booster = Path.Combine(modelDirectory, BoosterFile);
        if (File.Exists(booster))
        {
            return new BoostingPredictor(Booster.Load(booster), manifest);
        }

        var ml = new MLContext();
        var model = ModelDirectory.LoadModel(ml, modelDirectory);
        return manifest.Problem switch
        {
            "binary" => new VectorPredictor<BinaryOutput>(ml, model, manifest, output => Outputs.Binary(output, manifest.Encoder)),
            "multiclass" => new VectorPredictor<MulticlassOutput>(ml, model, manifest, output => Outputs.Multiclass(output, manifest.Encoder)),
            _ => new VectorPredictor<ScoreOutput>(ml, model, manifest, output => new PredictionRow(output.Score)),
        };
    }

    /// <summary>
    /// Grows the trees a round at a time. With a validation channel, each round's metrics are reported (step =
    /// round), which is what early stopping and tuning watch; early_stopping_rounds stops when the first eval
    /// metric has not improved for that many rounds and rolls the model back to the best round. Cancellation (a
    /// stop, or a tuner's early stopping) takes effect between rounds. With <paramref name="reportRounds"/> false
    /// (a transformed target, whose per-round metrics are not on the target's scale) rounds are watched, not reported.
    /// </summary>
    internal static (Booster Booster, int Rounds) Boost(TrainingContext context, TabularInputs inputs, int width, int rounds, IReadOnlyList<string> metrics,
        string datasetParameters, string boosterParameters, int patience, bool reportRounds = true, float[]? trainLabels = null, float[]? validationLabels = null)
    {
        using var train = new BoostingData(inputs.Train.Features, trainLabels ?? inputs.Train.Labels, width, datasetParameters);
        using var validation = inputs.Validation is { } v ? new BoostingData(v.Features, validationLabels ?? v.Labels, width, datasetParameters, reference: train) : null;
        var booster = Booster.Create(train, boosterParameters);
        try
        {
            if (validation is not null)
            {
                booster.AddValidation(validation);
            }
            else
            {
                patience = 0;
            }

            var watched = metrics.Count > 0 ? metrics[0] : null;
            var best = (Round: 0, Value: double.NaN);
            var round = 0;
            while (round < rounds)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var grew = booster.Update();
                round++;
                if (validation is not null && metrics.Count > 0)
                {
                    var scores = booster.Evaluate(1);
                    for (var m = 0; reportRounds && m < metrics.Count && m < scores.Length; m++)
                    {
                        context.Reporter.Metric($"validation:{metrics[m]}", scores[m], round);
                    }

                    var score = scores[0];
                    if (double.IsNaN(best.Value) || (Evaluation.HigherIsBetter(watched!) ? score > best.Value : score < best.Value))
                    {
                        best = (round, score);
                    }
                    else if (patience > 0 && round - best.Round >= patience)
                    {
                        context.Reporter.Log($"Stopping early at round {round}: validation-{watched} has not improved for {patience} rounds; keeping round {best.Round} ({best.Value:F5}).");
                        booster.RollBackTo(best.Round);
                        return (booster, best.Round);
                    }
                }

                if (!grew)
                {
                    context.Reporter.Log($"Stopping at round {round}: no split improves the model any more.");
                    break;
                }
            }

            if (patience > 0 && best.Round > 0)
            {
                booster.RollBackTo(best.Round);
                return (booster, best.Round);
            }

            return (booster, round);
        }
        catch
        {
            booster.Dispose();
            throw;
        }
    }

    /// <summary>The metrics each round reports, in SageMaker's names: eval_metric's (those LightGBM computes), else the objective's default.</summary>
    internal static List<string> RoundMetrics(HyperParameterValues values, string problem)
    {
        var asked = (values.Text("eval_metric") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(metric => LightGbmMetric(metric) is not null).Distinct().ToList();
        if (asked.Count > 0)
        {
            return asked;
        }

        return [problem switch { "binary" => "logloss", "multiclass" => "mlogloss", _ => "rmse" }];
    }

    internal static string? LightGbmMetric(string metric) => metric switch
    {
        "auc" => "auc",
        "aucpr" => "average_precision",
        "logloss" => "binary_logloss",
        "error" => "binary_error",
        "rmse" => "rmse",
        "mae" => "l1",
        "mse" => "l2",
        "merror" => "multi_error",
        "mlogloss" => "multi_logloss",
        _ => null,
    };

    /// <summary>XGBoost's hyperparameters in LightGBM's terms: depth-wise trees (2^max_depth leaves), eta as the learning rate, lambda/alpha as L2/L1.</summary>
    private static string Parameters(HyperParameterValues values, string problem, int classes, IReadOnlyList<string> metrics, int threads)
    {
        var depth = (int)values.Int("max_depth");
        var subsample = values.Float("subsample");
        var parts = new List<string>
        {
            problem switch { "binary" => "objective=binary", "multiclass" => $"objective=multiclass num_class={Math.Max(classes, (int)(values.Has("num_class") ? values.Int("num_class") : classes))}", _ => "objective=regression" },
            $"learning_rate={values.Float("eta")}",
            $"num_leaves={(depth == 0 ? 255 : Math.Min(1 << Math.Min(depth, 17), 131_072))}",
            $"max_depth={(depth == 0 ? -1 : depth)}",
            $"min_sum_hessian_in_leaf={values.Float("min_child_weight")}",
            "min_data_in_leaf=1",
            $"bagging_fraction={subsample}",
            $"bagging_freq={(subsample < 1 ? 1 : 0)}",
            $"feature_fraction={values.Float("colsample_bytree") * values.Float("colsample_bylevel") * values.Float("colsample_bynode")}",
            $"lambda_l2={values.Float("lambda")}",
            $"lambda_l1={values.Float("alpha")}",
            $"min_gain_to_split={values.Float("gamma")}",
            $"max_delta_step={values.Float("max_delta_step")}",
            $"seed={values.Int("seed")}",
            "deterministic=true",
            "force_row_wise=true",
            "verbosity=-1",
            $"metric={(metrics.Count == 0 ? "None" : string.Join(',', metrics.Select(metric => LightGbmMetric(metric))))}",
        };
        if (problem == "binary")
        {
            parts.Add($"scale_pos_weight={values.Float("scale_pos_weight")}");
        }

        parts.Add($"num_threads={threads}");

        return string.Join(" ", parts);
    }

    /// <summary>
    /// nthread (default: every core) is an upper bound: a small data set is trained on fewer threads, because
    /// each round's split search is too short to pay for synchronising threads (churn's 4,000 rows train 30 %
    /// faster on one thread than on two).
    /// </summary>
    internal static int Threads(HyperParameterValues values, long cells)
    {
        const long CellsPerThread = 400_000;
        var allowed = values.Has("nthread") ? (int)values.Int("nthread") : Environment.ProcessorCount;
        return (int)Math.Clamp(cells / CellsPerThread, 1, Math.Max(1, allowed));
    }

    /// <summary>Each input column's share of the model's total split gain (one-hot columns summed back to their column), in output/data.</summary>
    internal static void WriteImportance(TrainingContext context, FeatureEncoder encoder, double[] gains)
    {
        var total = gains.Sum();
        var byColumn = new List<(string Column, double Share)>();
        var offset = 0;
        foreach (var column in encoder.Columns)
        {
            var gain = gains.AsSpan(offset, Math.Min(column.Width, gains.Length - offset)).ToArray().Sum();
            byColumn.Add((column.Name, total > 0 ? gain / total : 0));
            offset += column.Width;
        }

        var ranked = byColumn.OrderByDescending(pair => pair.Share).ToList();
        Directory.CreateDirectory(context.OutputDirectory);
        File.WriteAllText(Path.Combine(context.OutputDirectory, "feature_importance.json"),
            System.Text.Json.JsonSerializer.Serialize(ranked.Select(pair => new { feature = pair.Column, importance = pair.Share })));
        context.Reporter.Log("Feature importance (share of gain): " + string.Join(", ", ranked.Take(5).Select(pair => FormattableString.Invariant($"{pair.Column} {pair.Share:P1}"))));
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

    /// <summary>Every metric SageMaker's XGBoost can emit for this objective, for this channel (train:auc, validation:rmse, …).</summary>
    internal static void Report(TrainingContext context, string problem, string channel, double[] outputs, float[] labels, int classes, int rounds)
    {
        var metrics = Evaluation.Compute(problem, outputs, labels, classes);
        foreach (var (name, value) in metrics)
        {
            context.Reporter.Metric($"{channel}:{name}", value, rounds);
        }

        context.Reporter.Log($"[{rounds}]\t" + string.Join("\t", metrics.Select(m => $"{channel}-{m.Key}:{m.Value.ToString("F5", System.Globalization.CultureInfo.InvariantCulture)}")));
    }
}
