using System.Globalization;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// How one input column becomes features: itself (a number; missing as <see cref="Fill"/>, else NaN), or its
/// commonest values one-hot, or (<see cref="Ordinal"/>) as one feature holding the value's rank (1 = commonest),
/// or (<see cref="TargetMeans"/>) as one feature holding the training target's smoothed mean for the value
/// (<see cref="TargetPrior"/>, the overall mean, for a value unseen in training or missing).
/// </summary>
public sealed record ColumnEncoding(string Name, IReadOnlyList<string>? Categories, double? Fill = null, bool Ordinal = false,
    IReadOnlyList<double>? TargetMeans = null, double TargetPrior = 0)
{
    public int Width => Categories is null || Ordinal || TargetMeans is not null ? 1 : Categories.Count;
}

/// <summary>How missing numbers are filled in: left missing (trees route them), or the training column's mean, median or zero.</summary>
public enum Imputation
{
    None,
    Mean,
    Median,
    Zero,
}

/// <summary>
/// The preprocessing a model is trained with (Kiln's hyperparameters impute_missing and categorical_encoding):
/// categories one-hot or as ranks, keeping the <paramref name="MaxCategories"/> commonest values; with
/// <paramref name="TargetEncoding"/>, columns of more than <see cref="FeatureEncoder.HighCardinality"/> values
/// are target-encoded instead (regression and binary targets; multiclass keeps the other encoding).
/// </summary>
public sealed record FeatureOptions(Imputation Impute = Imputation.None, bool OrdinalCategories = false, int MaxCategories = FeatureEncoder.MaxCategories, bool TargetEncoding = false)
{
    public static readonly FeatureOptions Default = new();

    /// <summary>The options a categorical_encoding hyperparameter names: onehot, ordinal, native (ranks of up to 1,024 values, for LightGBM's categorical splits) or target.</summary>
    public static FeatureOptions For(Imputation impute, string? categoricalEncoding) => categoricalEncoding switch
    {
        "ordinal" => new(impute, OrdinalCategories: true),
        "native" => new(impute, OrdinalCategories: true, MaxCategories: FeatureEncoder.MaxNativeCategories),
        "target" => new(impute, TargetEncoding: true),
        _ => new(impute),
    };
}

/// <summary>
/// Turns raw rows into float feature vectors and the target into a number. Fitted on the training
/// channel, saved with the model (kiln-model.json), and applied again to validation data and to rows
/// sent to an endpoint, so every stage encodes the same way.
/// </summary>
public sealed record FeatureEncoder(IReadOnlyList<ColumnEncoding> Columns, string? Target, IReadOnlyList<string>? Classes)
{
    public const int MaxCategories = 64;

    /// <summary>Values kept as categories for LightGBM's categorical splits (rarer ones share one code, as unseen values do).</summary>
    public const int MaxNativeCategories = 1024;

    /// <summary>Target encoding applies to columns with more distinct values than this; fewer stay one-hot.</summary>
    public const int HighCardinality = 16;

    /// <summary>Values a target-encoded column keeps (rarer ones get the prior, as unseen values do).</summary>
    public const int MaxTargetCategories = 10_000;

    /// <summary>Smoothing of target means: a value seen n times gets (sum + m·prior) / (n + m), m = this.</summary>
    public const double TargetSmoothing = 10;

    /// <summary>Folds of the out-of-fold target encoding of training rows.</summary>
    public const int TargetFolds = 5;

    public int FeatureCount => Columns.Sum(column => column.Width);

    public IReadOnlyList<string> FeatureNames => Columns
        .SelectMany(column => column.Categories is null || column.Ordinal || column.TargetMeans is not null ? [column.Name] : column.Categories.Select(category => $"{column.Name}={category}"))
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

        IReadOnlyList<string>? classes = null;
        if (supervised && classification)
        {
            classes = table.Rows.Select((row, i) => CellText(row[targetIndex]) ?? throw MissingTarget(table, i, targetIndex))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(value => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN)
                .ThenBy(value => value, StringComparer.Ordinal)
                .ToList();
        }

        // Target encoding needs one number per row: the value itself (regression) or whether it is the second class (binary).
        var targets = supervised && options.TargetEncoding && (classes is null || classes.Count == 2)
            ? table.Rows.Select(row => TargetNumber(row[targetIndex], classes)).ToArray()
            : null;

        var columns = new List<ColumnEncoding>();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            if (c == targetIndex)
            {
                continue;
            }

            var texts = table.Rows.Select(row => row[c]).OfType<string>().ToList();
            if (texts.Count == 0)
            {
                columns.Add(new ColumnEncoding(table.Columns[c], null, FillValue(table.Rows.Select(row => row[c]).OfType<double>().ToList(), options.Impute)));
                continue;
            }

            var byFrequency = table.Rows.Select(row => CellText(row[c])).OfType<string>()
                .GroupBy(value => value, StringComparer.Ordinal)
                .OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal)
                .Select(group => group.Key).ToList();
            if (targets is not null && byFrequency.Count > HighCardinality)
            {
                var values = byFrequency.Take(MaxTargetCategories).ToList();
                var (means, prior) = TargetMeansOf(table, c, values, targets, _ => true);
                columns.Add(new ColumnEncoding(table.Columns[c], values, TargetMeans: means, TargetPrior: prior));
                continue;
            }

            columns.Add(new ColumnEncoding(table.Columns[c], byFrequency.Take(options.MaxCategories).ToList(), Ordinal: options.OrdinalCategories));
        }

        return new FeatureEncoder(columns, target, classes);
    }

    /// <summary>
    /// Encodes the training rows as <see cref="Encode"/> does, except that target-encoded columns get out-of-fold
    /// means: each row's value comes from the other folds' rows only, so a model never sees a feature computed from
    /// its own row's target (which would make rare values look perfectly predictive). Validation rows and served
    /// rows use the means of all training rows.
    /// </summary>
    public (float[][] Features, float[] Labels) EncodeTraining(RawTable table, int seed = 0)
    {
        var encoded = Encode(table);
        if (Columns.All(column => column.TargetMeans is null) || table.Rows.Count < TargetFolds)
        {
            return encoded;
        }

        var targetIndex = table.ColumnIndex(Target!);
        var targets = table.Rows.Select(row => TargetNumber(row[targetIndex], Classes)).ToArray();
        var order = Enumerable.Range(0, table.Rows.Count).ToArray();
        new Random(seed).Shuffle(order);
        var fold = new int[table.Rows.Count];
        for (var i = 0; i < order.Length; i++)
        {
            fold[order[i]] = i % TargetFolds;
        }

        var offset = 0;
        foreach (var column in Columns)
        {
            if (column.TargetMeans is not null)
            {
                var c = table.ColumnIndex(column.Name);
                for (var f = 0; f < TargetFolds; f++)
                {
                    var held = f;
                    var (means, prior) = TargetMeansOf(table, c, column.Categories!, targets, r => fold[r] != held);
                    for (var r = 0; r < table.Rows.Count; r++)
                    {
                        if (fold[r] == held)
                        {
                            var index = CellText(table.Rows[r][c]) is { } text ? IndexOf(column.Categories!, text) : -1;
                            encoded.Features[r][offset] = (float)(index >= 0 ? means[index] : prior);
                        }
                    }
                }
            }

            offset += column.Width;
        }

        return encoded;
    }

    /// <summary>Smoothed target means of <paramref name="values"/> in column <paramref name="c"/>, over the rows <paramref name="use"/> picks, and their prior (the mean of those rows).</summary>
    private static (double[] Means, double Prior) TargetMeansOf(RawTable table, int c, IReadOnlyList<string> values, double[] targets, Func<int, bool> use)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            index[values[i]] = i;
        }

        var sums = new double[values.Count];
        var counts = new int[values.Count];
        double total = 0;
        var rows = 0;
        for (var r = 0; r < table.Rows.Count; r++)
        {
            if (!use(r) || double.IsNaN(targets[r]))
            {
                continue;
            }

            total += targets[r];
            rows++;
            if (CellText(table.Rows[r][c]) is { } text && index.TryGetValue(text, out var i))
            {
                sums[i] += targets[r];
                counts[i]++;
            }
        }

        var prior = rows == 0 ? 0 : total / rows;
        return (sums.Select((sum, i) => (sum + (TargetSmoothing * prior)) / (counts[i] + TargetSmoothing)).ToArray(), prior);
    }

    private static double TargetNumber(object? cell, IReadOnlyList<string>? classes) => classes is null
        ? cell is double number ? number : double.NaN
        : CellText(cell) is { } text && IndexOf(classes, text) == 1 ? 1 : 0;

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
            else if (column.TargetMeans is { } means)
            {
                vector[offset] = (float)(CellText(cell) is { } text && IndexOf(column.Categories, text) is var index and >= 0 ? means[index] : column.TargetPrior);
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

    // Lookups in long category lists (native and target encodings keep thousands of values) go through a
    // dictionary built once per list.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<string>, Dictionary<string, int>> Indexes = [];

    private static int IndexOf(IReadOnlyList<string> values, string value)
    {
        if (values.Count > 32)
        {
            var index = Indexes.GetValue(values, list =>
            {
                var map = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < list.Count; i++)
                {
                    map.TryAdd(list[i], i);
                }

                return map;
            });
            return index.TryGetValue(value, out var found) ? found : -1;
        }

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
