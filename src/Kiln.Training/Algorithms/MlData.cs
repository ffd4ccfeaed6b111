using Microsoft.ML;
using Microsoft.ML.Data;

namespace Kiln.Training.Algorithms;

/// <summary>A row as ML.NET sees it: a fixed-width feature vector and a label.</summary>
public sealed class VectorRow
{
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}

/// <summary>Text rows for text classification.</summary>
public sealed class TextRow
{
    public string Text { get; set; } = "";

    public float Label { get; set; }
}

internal static class MlData
{
    /// <summary>The vector width is only known at run time, so the schema says it explicitly.</summary>
    public static SchemaDefinition VectorSchema(int width)
    {
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    public static IDataView ToDataView(MLContext ml, float[][] features, float[] labels, int width) =>
        ml.Data.LoadFromEnumerable(
            features.Select((row, i) => new VectorRow { Features = row, Label = labels[i] }).ToList(),
            VectorSchema(width));
}
