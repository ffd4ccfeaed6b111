using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Kiln.Serving.Models;

/// <summary>
/// Serves an ML.NET model trained outside Kiln (a <c>model.zip</c> saved with its input schema): rows go in as
/// the model's one float-vector input column; the answer is read from ML.NET's usual output columns —
/// <c>Probability</c>, <c>Score</c> (a number, or a vector of class scores) and <c>PredictedLabel</c>.
/// </summary>
public sealed class MlNetModelPredictor : IPredictor
{
    private readonly MLContext _ml = new(seed: 0);
    private readonly ITransformer _model;
    private readonly SchemaDefinition _schema;
    private readonly int _width;

    public MlNetModelPredictor(string modelFile)
    {
        _model = _ml.Model.Load(modelFile, out var input);
        var features = input?.FirstOrDefault(column => column.Type is VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vector && vector.ItemType == NumberDataViewType.Single)
            ?? throw new InvalidDataException("An ML.NET model is served when its input is one column holding a fixed-size vector of floats (save the model with its input schema).");
        _width = ((VectorDataViewType)features.Type).Size;
        _schema = SchemaDefinition.Create(typeof(VectorRow));
        _schema[nameof(VectorRow.Features)].ColumnName = features.Name;
        _schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, _width);
    }

    public int? FeatureCount => _width;

    public IReadOnlyList<PredictionRow> Predict(IReadOnlyList<FeatureRow> rows)
    {
        var input = rows.Select(row =>
        {
            var features = row.Features ?? row.Cells?.Select(cell => cell is double number ? (float)number : throw new InvalidDataException("This model takes numbers only.")).ToArray()
                ?? throw new InvalidDataException("This model takes numeric features.");
            return features.Length == _width ? new VectorRow { Features = features } : throw new InvalidDataException($"Expected {_width} features, got {features.Length}.");
        }).ToList();
        var output = _model.Transform(_ml.Data.LoadFromEnumerable(input, _schema));
        var schema = output.Schema;
        var probability = schema.GetColumnOrNull("Probability") is { Type: NumberDataViewType } ? output.GetColumn<float>("Probability").ToArray() : null;
        float[]? score = null;
        float[][]? scores = null;
        if (schema.GetColumnOrNull("Score") is { } scoreColumn)
        {
            if (scoreColumn.Type is VectorDataViewType)
            {
                scores = output.GetColumn<float[]>("Score").ToArray();
            }
            else
            {
                score = output.GetColumn<float>("Score").ToArray();
            }
        }

        var labels = Labels(output);
        return rows.Select((_, i) => probability is not null
            ? new PredictionRow(probability[i], labels?[i], [1 - probability[i], probability[i]])
            : scores is not null
                ? new PredictionRow(ArgMax(scores[i]), labels?[i], scores[i].Select(s => (double)s).ToList())
                : new PredictionRow(score?[i] ?? double.NaN, labels?[i])).ToList();
    }

    public void Dispose()
    {
    }

    private static string?[]? Labels(IDataView output) => output.Schema.GetColumnOrNull("PredictedLabel")?.Type switch
    {
        BooleanDataViewType => output.GetColumn<bool>("PredictedLabel").Select(label => (string?)(label ? "1" : "0")).ToArray(),
        KeyDataViewType => output.GetColumn<uint>("PredictedLabel").Select(key => (string?)(key - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        TextDataViewType => output.GetColumn<string>("PredictedLabel").Select(label => (string?)label).ToArray(),
        _ => null,
    };

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
