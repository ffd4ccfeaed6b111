using System.Collections.Concurrent;
using Kiln.Core.Training;
using Kiln.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Text;

namespace Kiln.Training.Algorithms.BlazingText;

/// <summary>
/// BlazingText's supervised mode (text classification) on ML.NET: lines <c>__label__x some text</c> (or a
/// headed CSV with target_column and text_column), word n-grams up to word_ngrams, a maximum-entropy
/// classifier trained for epochs passes. Reports train:accuracy and validation:accuracy.
/// </summary>
public sealed class BlazingTextAlgorithm : BuiltInAlgorithm
{
    public const string TextColumnParameter = "text_column";

    public override string Name => "blazingtext";

    public override HyperParameterSet HyperParameters { get; } = new("blazingtext",
    [
        new ChoiceParameter("mode", ["supervised"], null, Required: true),
        new IntParameter("epochs", 1, 1000, 5),
        new FloatParameter("learning_rate", 0, 10, 0.05, MinExclusive: true),
        new IntParameter("min_count", 0, int.MaxValue, 5),
        new IntParameter("vector_dim", 4, 1000, 100),
        new IntParameter("word_ngrams", 1, 3, 1),
        new BoolParameter("early_stopping", false),
        new IntParameter("patience", 1, 100, 4),
        new IntParameter("min_epochs", 1, 1000, 5),
        new IntParameter("buckets", 1, 10_000_000, 2_000_000),
        new TextParameter(TargetColumnParameter),
        new TextParameter(TextColumnParameter),
    ]);

    public override IReadOnlyList<string> MetricNames { get; } = ["train:accuracy", "validation:accuracy"];

    protected override IReadOnlyList<string> AllowedChannels => ["train", "validation"];

    public override async Task TrainAsync(TrainingContext context)
    {
        var values = HyperParameters.Read(context.HyperParameters);
        var train = await ReadTextAsync(context, "train", values).ConfigureAwait(false)
            ?? throw new TrainingFailedException("The train channel is missing.");
        var classes = train.Select(row => row.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
        {
            throw new TrainingFailedException($"Supervised mode needs at least two labels; the training data has {classes.Count}.");
        }

        var ml = new MLContext(0);
        var trainView = ToView(ml, train, classes);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.Text.FeaturizeText("Features", new TextFeaturizingEstimator.Options
            {
                WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = (int)values.Int("word_ngrams"), UseAllLengths = true },
                CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = false },
                CaseMode = TextNormalizingEstimator.CaseMode.Lower,
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            }, nameof(TextRow.Text)))
            // A pass over the data per epoch is too little for SDCA on sparse text; each epoch allows ten.
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                MaximumNumberOfIterations = (int)values.Int("epochs") * 10,
                NumberOfThreads = 1,
            }));
        context.Reporter.Log($"Training a text classifier on {train.Count} lines, {classes.Count} labels.");
        var model = await Fitting.RunAsync(() => pipeline.Fit(trainView), context.CancellationToken).ConfigureAwait(false);
        context.Reporter.Metric("train:accuracy", ml.MulticlassClassification.Evaluate(model.Transform(trainView)).MicroAccuracy);
        if (await ReadTextAsync(context, "validation", values).ConfigureAwait(false) is { } validation)
        {
            var known = validation.Where(row => classes.Contains(row.Label)).ToList();
            context.Reporter.Metric("validation:accuracy", ml.MulticlassClassification.Evaluate(model.Transform(ToView(ml, known, classes))).MicroAccuracy);
        }

        var encoder = new FeatureEncoder([], nameof(TextRow.Label), classes);
        ModelDirectory.Save(context.ModelDirectory, ml, model, trainView.Schema, new ModelManifest(Name, "text", 0, encoder, context.HyperParameters, context.Clock.GetUtcNow()));
    }

    public override IPredictor LoadPredictor(string modelDirectory, ModelManifest manifest)
    {
        var ml = new MLContext();
        return new TextPredictor(ml, ModelDirectory.LoadModel(ml, modelDirectory), manifest);
    }

    private static IDataView ToView(MLContext ml, List<(string Label, string Text)> rows, List<string> classes) =>
        ml.Data.LoadFromEnumerable(rows.Select(row => new TextRow { Text = row.Text, Label = classes.IndexOf(row.Label) }).ToList());

    private static async Task<List<(string Label, string Text)>?> ReadTextAsync(TrainingContext context, string name, HyperParameterValues values)
    {
        if (!context.Channels.TryGetValue(name, out var channel))
        {
            return null;
        }

        var target = values.Text(TargetColumnParameter);
        var layout = target is null ? new DataLayout(DataFormat.LabeledText, null) : DataLayout.For(channel, target);
        var table = await ChannelReader.ReadAsync(channel, layout, context.CancellationToken).ConfigureAwait(false);
        var labelIndex = table.ColumnIndex(target ?? ChannelReader.LabelColumn);
        var textIndex = table.ColumnIndex(values.Text(TextColumnParameter) ?? "text");
        if (labelIndex < 0 || textIndex < 0)
        {
            throw new TrainingFailedException($"{table.Sources[0].File} line 1: expected a label column '{target ?? "label"}' and a text column '{values.Text(TextColumnParameter) ?? "text"}'.");
        }

        return table.Rows.Select((row, i) => (
                Label: row[labelIndex]?.ToString() ?? throw new TrainingFailedException($"{table.Sources[i].File} line {table.Sources[i].Line}: the label is missing."),
                Text: row[textIndex]?.ToString() ?? ""))
            .ToList();
    }

    private sealed class TextPredictor(MLContext ml, ITransformer model, ModelManifest manifest) : IPredictor
    {
        private readonly ConcurrentBag<PredictionEngine<TextRow, MulticlassOutput>> _engines = [];

        public int? FeatureCount => null;

        public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
        {
            var engine = _engines.TryTake(out var pooled) ? pooled : ml.Model.CreatePredictionEngine<TextRow, MulticlassOutput>(model);
            try
            {
                return rows.Select(row => Outputs.Multiclass(engine.Predict(new TextRow { Text = row.Text ?? (row.Cells is { } cells ? string.Join(' ', cells) : "") }), manifest.Encoder)).ToList();
            }
            finally
            {
                _engines.Add(engine);
            }
        }

        public void Dispose()
        {
            while (_engines.TryTake(out var engine))
            {
                engine.Dispose();
            }
        }
    }
}
