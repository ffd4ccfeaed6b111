using System.Globalization;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// How one input column becomes features: itself (a number; missing as <see cref="Fill"/>, else NaN), or its
/// commonest values one-hot, or (<see cref="Ordinal"/>) as one feature holding the value's rank (1 = commonest).
/// </summary>
public sealed record ColumnEncoding(string Name, IReadOnlyList<string>? Categories, double? Fill = null, bool Ordinal = false)
{
    public int Width => Categories is null || Ordinal ? 1 : Categories.Count;
}

/// <summary>How missing numbers are filled in: left missing (trees route them), or the training column's mean, median or zero.</summary>
public enum Imputation
{
    None,
    Mean,
    Median,
    Zero,
}

/// <summary>The preprocessing a model is trained with (Kiln's hyperparameters impute_missing and categorical_encoding).</summary>
public sealed record FeatureOptions(Imputation Impute = Imputation.None, bool OrdinalCategories = false)
{
    public static readonly FeatureOptions Default = new();
}

/// <summary>
/// Turns raw rows into float feature vectors and the target into a number. Fitted on the training
/// channel, saved with the model (kiln-model.json), and applied again to validation data and to rows
/// sent to an endpoint, so every stage encodes the same way.
/// </summary>
public sealed record FeatureEncoder(IReadOnlyList<ColumnEncoding> Columns, string? Target, IReadOnlyList<string>? Classes)
{
    public const int MaxCategories = 64;

    public int FeatureCount => Columns.Sum(column => column.Width);

    public IReadOnlyList<string> FeatureNames => Columns
        .SelectMany(column => column.Categories is null || column.Ordinal ? [column.Name] : column.Categories.Select(category => $"{column.Name}={category}"))
        .ToList();

    /// <summary>
    /// Learns the encoding: the target is the named column (else the first, SageMaker's convention);
    /// a column is numeric when all its present cells are numbers, else categorical. Classification targets
    /// keep their class names (sorted, so "0"/"1" and "no"/"yes" map as expected).
    /// </summary>
    public static FeatureEncoder Fit(RawTable table, string? targetColumn, bool classification, FeatureOptions? options = null) =>
        Fit(table, targetColumn ?? table.Columns[0], classification, supervised: true, options ?? FeatureOptions.Default);

    /// <summary>For unsupervised algorithms: every column is a feature unless a target column is named (it is then ignored).</summary>
    public static FeatureEncoder FitUnsupervised(RawTable table, string? ignoredColumn) =>
        Fit(table, ignoredColumn, classification: false, supervised: false, FeatureOptions.Default);

    private static FeatureEncoder Fit(RawTable table, string? target, bool classification, bool supervised, FeatureOptions options)
    {
        var targetIndex = target is null ? -1 : table.ColumnIndex(target);
        if (target is not null && targetIndex < 0)
        {
            throw new TrainingFailedException($"{table.Sources[0].File} line 1: the target column '{target}' is not in the data (columns: {string.Join(", ", table.Columns.Take(20))}).");
        }

        var columns = new List<ColumnEncoding>();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            if (c == targetIndex)
            {
                continue;
            }

            var texts = table.Rows.Select(row => row[c]).OfType<string>().ToList();
            columns.Add(texts.Count == 0
                ? new ColumnEncoding(table.Columns[c], null, FillValue(table.Rows.Select(row => row[c]).OfType<double>().ToList(), options.Impute))
                : new ColumnEncoding(table.Columns[c], table.Rows.Select(row => CellText(row[c])).OfType<string>()
                    .GroupBy(value => value, StringComparer.Ordinal)
                    .OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal)
                    .Take(MaxCategories).Select(group => group.Key).ToList(), Ordinal: options.OrdinalCategories));
        }

        IReadOnlyList<string>? classes = null;
        if (!supervised)
        {
            return new FeatureEncoder(columns, target, null);
        }

        if (classification)
        {
            classes = table.Rows.Select((row, i) => CellText(row[targetIndex]) ?? throw MissingTarget(table, i, targetIndex))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(value => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN)
                .ThenBy(value => value, StringComparer.Ordinal)
                .ToList();
        }

        return new FeatureEncoder(columns, target, classes);
    }

    /// <summary>Encodes every row of a table that has this encoder's columns; labels are the target's (0 when there is none or <paramref name="withLabels"/> is false).</summary>
    public (float[][] Features, float[] Labels) Encode(RawTable table, bool withLabels = true)
    {
        var targetIndex = Target is null ? -1 : table.ColumnIndex(Target);
        if (withLabels && Target is not null && targetIndex < 0)
        {
            throw new TrainingFailedException($"{table.Sources[0].File} line 1: the target column '{Target}' is not in the data.");
        }

        var indexes = Columns.Select(column => table.ColumnIndex(column.Name)).ToArray();
        for (var i = 0; i < indexes.Length; i++)
        {
            if (indexes[i] < 0)
            {
                throw new TrainingFailedException($"{table.Sources[0].File} line 1: the column '{Columns[i].Name}' seen in training is missing.");
            }
        }

        var features = new float[table.Rows.Count][];
        var labels = new float[table.Rows.Count];
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            features[r] = EncodeCells(indexes.Select(index => row[index]).ToArray(), table.Sources[r]);
            labels[r] = withLabels && targetIndex >= 0 ? EncodeTarget(row[targetIndex], table, r, targetIndex) : 0f;
        }

        return (features, labels);
    }

    /// <summary>Encodes one row of raw cells in <see cref="Columns"/> order (no target): an endpoint's input.</summary>
    public float[] EncodeCells(IReadOnlyList<object?> cells, RowSource? source = null)
    {
        var vector = new float[FeatureCount];
        var offset = 0;
        for (var c = 0; c < Columns.Count; c++)
        {
            var column = Columns[c];
            var cell = cells[c];
            if (column.Categories is null)
            {
                vector[offset] = cell switch
                {
                    null => column.Fill is { } fill ? (float)fill : float.NaN,
                    double number => (float)number,
                    string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => (float)parsed,
                    _ => throw new TrainingFailedException(source is { } at
                        ? $"{at.File} line {at.Line}, column '{column.Name}': '{cell}' is not a number."
                        : $"Column '{column.Name}': '{cell}' is not a number."),
                };
            }
            else if (column.Ordinal)
            {
                // Missing stays missing; a value unseen in training ranks after every seen one.
                vector[offset] = CellText(cell) is { } text ? IndexOf(column.Categories, text) is var index and >= 0 ? index + 1 : column.Categories.Count + 1 : float.NaN;
            }
            else if (CellText(cell) is { } text)
            {
                var index = IndexOf(column.Categories, text);
                if (index >= 0)
                {
                    vector[offset + index] = 1f;
                }
            }

            offset += column.Width;
        }

        return vector;
    }

    public string ClassName(int index) => Classes is { } classes && index >= 0 && index < classes.Count ? classes[index] : index.ToString(CultureInfo.InvariantCulture);

    private float EncodeTarget(object? cell, RawTable table, int row, int column)
    {
        if (Classes is { } classes)
        {
            var text = CellText(cell) ?? throw MissingTarget(table, row, column);
            var index = IndexOf(classes, text);
            return index >= 0
                ? index
                : throw new TrainingFailedException($"{table.Sources[row].File} line {table.Sources[row].Line}, column '{Target}': the class '{text}' does not appear in the training data.");
        }

        return cell switch
        {
            double number => (float)number,
            null => throw MissingTarget(table, row, column),
            _ => throw new TrainingFailedException($"{table.Sources[row].File} line {table.Sources[row].Line}, column '{Target}': '{cell}' is not a number (a regression target must be numeric)."),
        };
    }

    private static double? FillValue(List<double> present, Imputation impute)
    {
        if (impute == Imputation.None)
        {
            return null;
        }

        if (impute == Imputation.Zero || present.Count == 0)
        {
            return 0;
        }

        if (impute == Imputation.Mean)
        {
            return present.Average();
        }

        present.Sort();
        var middle = present.Count / 2;
        return present.Count % 2 == 1 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
    }

    private static TrainingFailedException MissingTarget(RawTable table, int row, int column) =>
        new($"{table.Sources[row].File} line {table.Sources[row].Line}, column {column + 1} ('{table.Columns[column]}'): the label is missing.");

    private static int IndexOf(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string? CellText(object? cell) => cell switch
    {
        null => null,
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        _ => cell.ToString(),
    };
}
