using System.Collections.Concurrent;
using Kiln.Core.Training;
using Kiln.Training.Data;
using Microsoft.ML;

namespace Kiln.Training.Algorithms;

/// <summary>
/// Serves a vector model: rows are encoded (raw cells through the training encoder, or features as they are)
/// and scored with pooled PredictionEngines, which are fast for single rows but not thread-safe.
/// </summary>
internal sealed class VectorPredictor<TOutput>(MLContext ml, ITransformer model, ModelManifest manifest, Func<TOutput, PredictionRow> read) : IPredictor
    where TOutput : class, new()
{
    private readonly ConcurrentBag<PredictionEngine<VectorRow, TOutput>> _engines = [];

    public int? FeatureCount => manifest.FeatureCount;

    public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
    {
        var engine = Rent();
        try
        {
            var results = new PredictionRow[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                results[i] = read(engine.Predict(new VectorRow { Features = ModelInputs.Encode(rows[i], manifest) }));
            }

            return results;
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

    private PredictionEngine<VectorRow, TOutput> Rent() =>
        _engines.TryTake(out var engine)
            ? engine
            : ml.Model.CreatePredictionEngine<VectorRow, TOutput>(model, inputSchemaDefinition: MlData.VectorSchema(manifest.FeatureCount));
}

/// <summary>How a row sent to an endpoint becomes the feature vector a model was trained on.</summary>
internal static class ModelInputs
{
    /// <summary>
    /// Raw cells (numbers and text) go through the training encoder; numeric features are taken as they are when
    /// they have the model's width, or encoded when they have the raw column count (a numeric-only encoder).
    /// </summary>
    public static float[] Encode(FeatureRow row, ModelManifest manifest)
    {
        if (row.Cells is { } cells)
        {
            if (manifest.Encoder is { } raw && cells.Count == raw.Columns.Count)
            {
                return raw.EncodeCells(cells);
            }

            if (cells.All(cell => cell is double) && cells.Count == manifest.FeatureCount)
            {
                return cells.Select(cell => (float)(double)cell!).ToArray();
            }

            throw new InvalidDataException($"Expected {manifest.Encoder?.Columns.Count ?? manifest.FeatureCount} values per row, got {cells.Count}.");
        }

        var features = row.Features ?? throw new InvalidDataException("This model takes numeric features.");
        // Raw numeric columns of a model trained with imputation still need their missing values filled.
        var rawColumns = manifest.Encoder is { } imputing && imputing.Columns.Any(column => column.Fill is not null) && imputing.Columns.Count == features.Length;
        if (features.Length == manifest.FeatureCount && !rawColumns)
        {
            return features;
        }

        if (manifest.Encoder is { } encoder && features.Length == encoder.Columns.Count)
        {
            return encoder.EncodeCells(features.Select(value => float.IsNaN(value) ? null : (object?)(double)value).ToArray());
        }

        throw new InvalidDataException($"Expected {manifest.FeatureCount} features, got {features.Length}.");
    }
}

internal sealed class BinaryOutput
{
    public float Score { get; set; }

    public float Probability { get; set; }
}

internal sealed class ScoreOutput
{
    public float Score { get; set; }
}

internal sealed class MulticlassOutput
{
    public float[] Score { get; set; } = [];
}

internal sealed class ClusterOutput
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}

internal static class Outputs
{
    public static PredictionRow Binary(BinaryOutput output, FeatureEncoder? encoder) =>
        new(output.Probability, encoder?.ClassName(output.Probability >= 0.5f ? 1 : 0), [1 - output.Probability, output.Probability], Classes: encoder?.Classes);

    public static PredictionRow Multiclass(MulticlassOutput output, FeatureEncoder? encoder)
    {
        var best = 0;
        for (var i = 1; i < output.Score.Length; i++)
        {
            if (output.Score[i] > output.Score[best])
            {
                best = i;
            }
        }

        return new PredictionRow(best, encoder?.ClassName(best), output.Score.Select(p => (double)p).ToList(), Classes: encoder?.Classes);
    }
}
