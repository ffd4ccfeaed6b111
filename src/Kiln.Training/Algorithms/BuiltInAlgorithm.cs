using Kiln.Core.Training;
using Kiln.Training.Data;

namespace Kiln.Training.Algorithms;

/// <summary>
/// A SageMaker built-in algorithm on ML.NET. Subclasses declare their hyperparameters, metrics and
/// channels; this base checks a job against them and loads tabular channels the same way for all.
/// </summary>
public abstract class BuiltInAlgorithm : ITrainer
{
    /// <summary>Kiln's extension for data with a header row: which column is the target.</summary>
    public const string TargetColumnParameter = "target_column";

    /// <summary>Kiln's preprocessing hyperparameters, for algorithms that read tabular data with raw columns.</summary>
    public const string ImputeParameter = "impute_missing";

    public const string CategoricalEncodingParameter = "categorical_encoding";

    protected static readonly HyperParameter[] PreprocessingParameters =
    [
        new ChoiceParameter(ImputeParameter, ["none", "mean", "median", "zero"], "none"),
        new ChoiceParameter(CategoricalEncodingParameter, ["onehot", "ordinal", "target"], "onehot"),
    ];

    /// <summary>The algorithm's name as SageMaker's image repositories spell it (xgboost, linear-learner, …).</summary>
    public abstract string Name { get; }

    public abstract HyperParameterSet HyperParameters { get; }

    /// <summary>The metric names the algorithm emits (e.g. validation:auc), for tuning objectives.</summary>
    public abstract IReadOnlyList<string> MetricNames { get; }

    /// <summary>The hyperparameter counting training steps whose metrics are reported step by step (Hyperband's resource), if any.</summary>
    public virtual string? ResourceHyperParameter => null;

    IReadOnlyCollection<string>? ITrainer.MetricNames => MetricNames;

    public virtual IReadOnlyDictionary<string, string> TrialDefaults(IReadOnlyDictionary<string, string> hyperParameters, string objectiveMetric, int threads) =>
        new Dictionary<string, string>();

    IReadOnlyDictionary<string, string> ITrainer.TrialDefaults(IReadOnlyDictionary<string, string> hyperParameters, string objectiveMetric, int threads) =>
        TrialDefaults(hyperParameters, objectiveMetric, threads);

    string? ITrainer.ResourceHyperParameter => ResourceHyperParameter;

    protected virtual IReadOnlyList<string> RequiredChannels => ["train"];

    protected virtual IReadOnlyList<string> AllowedChannels => ["train", "validation", "test"];

    public void Validate(IReadOnlyDictionary<string, string> hyperParameters, IReadOnlyCollection<string> channelNames)
    {
        HyperParameters.Validate(hyperParameters);
        var missing = RequiredChannels.Where(channel => !channelNames.Contains(channel)).ToList();
        if (missing.Count > 0)
        {
            throw new TrainingValidationException($"{Name} requires the channel(s) {string.Join(", ", missing.Select(c => $"'{c}'"))} in InputDataConfig.");
        }

        var unknown = channelNames.Where(channel => !AllowedChannels.Contains(channel)).ToList();
        if (unknown.Count > 0)
        {
            throw new TrainingValidationException($"{Name} does not read the channel(s) {string.Join(", ", unknown.Select(c => $"'{c}'"))}; its channels are {string.Join(", ", AllowedChannels)}.");
        }

        ValidateCombination(HyperParameters.Read(hyperParameters));
    }

    public abstract Task TrainAsync(TrainingContext context);

    /// <summary>Loads a model this algorithm trained, for endpoints and batch transform.</summary>
    public abstract IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest);

    /// <summary>Checks that need several hyperparameters together (e.g. num_class with multi:softmax).</summary>
    protected virtual void ValidateCombination(HyperParameterValues values)
    {
    }

    /// <summary>Reads the train channel (and validation, test when present), fitting the encoder on train.</summary>
    protected static async Task<TabularInputs> LoadTabularAsync(TrainingContext context, HyperParameterValues values, bool classification)
    {
        var target = values.Text(TargetColumnParameter);
        if (context.Channels.Values.All(channel => DataLayout.For(channel, target).Format == DataFormat.CsvLabelFirst))
        {
            return LoadNumeric(context, classification);
        }

        var train = await ReadAsync(context, "train", target).ConfigureAwait(false);
        var options = FeatureOptions.For(
            Enum.Parse<Imputation>(context.HyperParameters.GetValueOrDefault(ImputeParameter, "none"), ignoreCase: true),
            values.Choice(CategoricalEncodingParameter));
        var encoder = FeatureEncoder.Fit(train!, target ?? (train!.ColumnIndex(ChannelReader.LabelColumn) == 0 ? ChannelReader.LabelColumn : null), classification, options);
        var validation = await ReadAsync(context, "validation", target).ConfigureAwait(false);
        var test = await ReadAsync(context, "test", target).ConfigureAwait(false);
        context.Reporter.Log($"Loaded {train!.Rows.Count} training rows, {encoder.FeatureCount} features{(validation is null ? "" : $", {validation.Rows.Count} validation rows")}.");
        return new TabularInputs(
            encoder,
            encoder.EncodeTraining(train),
            validation is null ? null : encoder.Encode(validation),
            test is null ? null : encoder.Encode(test));
    }

    /// <summary>SageMaker's CSV convention, read straight into vectors: the features need no encoding, only the labels' classes.</summary>
    private static TabularInputs LoadNumeric(TrainingContext context, bool classification)
    {
        NumericCsv.Table? Read(string name)
        {
            if (!context.Channels.TryGetValue(name, out var channel))
            {
                return null;
            }

            context.Reporter.Log($"Reading channel '{name}'.");
            return NumericCsv.Read(channel, hasLabel: true);
        }

        var train = Read("train")!;
        var columns = Enumerable.Range(1, train.Width).Select(i => new ColumnEncoding($"f{i}", null)).ToList();
        var classes = classification
            ? train.Labels.Distinct().Order().Select(label => ((double)label).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToList()
            : null;
        var encoder = new FeatureEncoder(columns, ChannelReader.LabelColumn, classes);
        (float[][], float[]) Encode(NumericCsv.Table table, string name)
        {
            if (table.Width != train.Width)
            {
                throw new TrainingFailedException($"Channel '{name}' has {table.Width} features but the train channel has {train.Width}.");
            }

            if (classes is null)
            {
                return (table.Features.ToArray(), table.Labels.ToArray());
            }

            var index = classes.Select((name, i) => (Value: float.Parse(name, System.Globalization.CultureInfo.InvariantCulture), Index: (float)i)).ToDictionary(pair => pair.Value, pair => pair.Index);
            return (table.Features.ToArray(), table.Labels.Select(label => index.TryGetValue(label, out var i)
                ? i
                : throw new TrainingFailedException($"Channel '{name}' has the label {label}, which the train channel does not.")).ToArray());
        }

        var validation = Read("validation");
        var test = Read("test");
        context.Reporter.Log($"Loaded {train.Features.Count} training rows, {train.Width} features{(validation is null ? "" : $", {validation.Features.Count} validation rows")}.");
        return new TabularInputs(encoder, Encode(train, "train"), validation is null ? null : Encode(validation, "validation"), test is null ? null : Encode(test, "test"));
    }

    /// <summary>For unsupervised algorithms: train rows are all features (label_size=0); a test channel may carry labels.</summary>
    protected static async Task<(FeatureEncoder Encoder, float[][] Train, RawTable? Test)> LoadUnsupervisedAsync(TrainingContext context, HyperParameterValues values, long? featureDim)
    {
        var target = values.Text(TargetColumnParameter);
        var train = (await ReadAsync(context, "train", target, unsupervised: true).ConfigureAwait(false))!;
        var encoder = FeatureEncoder.FitUnsupervised(train, target);
        if (featureDim is { } expected && expected != encoder.FeatureCount)
        {
            throw new TrainingFailedException($"feature_dim is {expected} but the training data has {encoder.FeatureCount} features.");
        }

        var test = await ReadAsync(context, "test", target, unsupervised: true).ConfigureAwait(false);
        context.Reporter.Log($"Loaded {train.Rows.Count} training rows with {encoder.FeatureCount} features.");
        return (encoder, encoder.Encode(train, withLabels: false).Features, test);
    }

    private static async Task<RawTable?> ReadAsync(TrainingContext context, string name, string? target, bool unsupervised = false)
    {
        if (!context.Channels.TryGetValue(name, out var channel))
        {
            return null;
        }

        context.Reporter.Log($"Reading channel '{name}'.");
        var layout = unsupervised ? DataLayout.Unsupervised(channel, target) : DataLayout.For(channel, target);
        return await ChannelReader.ReadAsync(channel, layout, context.CancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Encoded channels: features and labels for train, and validation and test when given.</summary>
public sealed record TabularInputs(
    FeatureEncoder Encoder,
    (float[][] Features, float[] Labels) Train,
    (float[][] Features, float[] Labels)? Validation,
    (float[][] Features, float[] Labels)? Test);
