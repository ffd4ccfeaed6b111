using System.Globalization;
using Kiln.Training.Data;

namespace Kiln.AutoML.Data;

/// <summary>What a column holds, as AutoML treats it: numbers, a few repeated values, or free text.</summary>
public enum ColumnKind
{
    Numeric,
    Categorical,
    Text,
}

public sealed record NumericSummary(double Mean, double StandardDeviation, double Min, double Q1, double Median, double Q3, double Max, IReadOnlyList<int> Histogram);

/// <summary>One column's statistics: kind, missing and distinct counts, the commonest values, numeric summary, and its correlation with the target.</summary>
public sealed record ColumnProfile(
    string Name,
    ColumnKind Kind,
    int Missing,
    int Distinct,
    IReadOnlyList<(string Value, int Count)> TopValues,
    NumericSummary? Numbers,
    double? TargetCorrelation);

/// <summary>
/// The data exploration an AutoML job starts with: per-column statistics, the target's balance, strongly
/// correlated feature pairs and sample rows. It decides the column kinds the candidate pipelines are built for.
/// </summary>
public sealed class TableProfile
{
    public const int HistogramBins = 12;
    private const int TopValueCount = 10;

    private TableProfile(RawTable table, string target, IReadOnlyList<ColumnProfile> columns, IReadOnlyList<(string Value, int Count)> targetCounts,
        IReadOnlyList<(string A, string B, double R)> correlatedPairs)
    {
        Table = table;
        Target = target;
        Columns = columns;
        TargetCounts = targetCounts;
        CorrelatedPairs = correlatedPairs;
    }

    public RawTable Table { get; }

    public string Target { get; }

    public int Rows => Table.Rows.Count;

    /// <summary>Every column but the target.</summary>
    public IReadOnlyList<ColumnProfile> Columns { get; }

    public ColumnProfile TargetColumn => Describe(Table, Table.ColumnIndex(Target), null, text: false);

    /// <summary>The target's values and how often each appears, commonest first.</summary>
    public IReadOnlyList<(string Value, int Count)> TargetCounts { get; }

    /// <summary>Numeric feature pairs with |Pearson r| of at least 0.9, strongest first.</summary>
    public IReadOnlyList<(string A, string B, double R)> CorrelatedPairs { get; }

    public bool HasMissingValues => Columns.Any(column => column.Missing > 0);

    public bool HasCategoricalColumns => Columns.Any(column => column.Kind == ColumnKind.Categorical);

    public static TableProfile Build(RawTable table, string target, string? textColumn = null)
    {
        var targetIndex = table.ColumnIndex(target);
        if (targetIndex < 0)
        {
            throw new ArgumentException($"The target column '{target}' is not in the data.", nameof(target));
        }

        var targetNumbers = TargetAsNumbers(table, targetIndex);
        var columns = new List<ColumnProfile>();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            if (c != targetIndex)
            {
                columns.Add(Describe(table, c, targetNumbers, text: table.Columns[c] == textColumn));
            }
        }

        var targetCounts = Counts(table.Rows.Select(row => Text(row[targetIndex])).OfType<string>());
        return new TableProfile(table, target, columns, targetCounts, Correlated(table, columns));
    }

    /// <summary>Cells as text, numbers in their shortest round-trip form.</summary>
    public static string? Text(object? cell) => cell switch
    {
        null => null,
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        _ => cell.ToString(),
    };

    private static ColumnProfile Describe(RawTable table, int c, double[]? target, bool text)
    {
        var cells = table.Rows.Select(row => row[c]).ToList();
        var present = cells.Where(cell => cell is not null).ToList();
        var numbers = present.OfType<double>().ToList();
        var kind = text ? ColumnKind.Text
            : numbers.Count == present.Count ? ColumnKind.Numeric
            : LooksLikeText(present.OfType<string>().ToList()) ? ColumnKind.Text
            : ColumnKind.Categorical;
        var counts = Counts(present.Select(Text).OfType<string>());
        NumericSummary? summary = null;
        double? correlation = null;
        if (kind == ColumnKind.Numeric && numbers.Count > 0)
        {
            summary = Summarize(numbers);
            if (target is not null)
            {
                var pairs = cells.Select((cell, i) => (X: cell as double?, Y: target[i])).Where(p => p.X is not null && !double.IsNaN(p.Y)).ToList();
                correlation = Pearson(pairs.Select(p => p.X!.Value).ToArray(), pairs.Select(p => p.Y).ToArray());
            }
        }

        return new ColumnProfile(table.Columns[c], kind, cells.Count - present.Count, counts.Count, counts.Take(TopValueCount).ToList(), summary, correlation);
    }

    /// <summary>Free text rather than categories: mostly distinct values of several words.</summary>
    private static bool LooksLikeText(List<string> values)
    {
        if (values.Count == 0)
        {
            return false;
        }

        var distinct = values.Distinct(StringComparer.Ordinal).Count();
        var words = values.Average(value => value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        return words >= 4 && distinct > values.Count / 2;
    }

    private static List<(string Value, int Count)> Counts(IEnumerable<string> values) =>
        values.GroupBy(value => value, StringComparer.Ordinal)
            .Select(group => (group.Key, group.Count()))
            .OrderByDescending(pair => pair.Item2).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .ToList();

    /// <summary>The target as numbers for correlations: itself when numeric, 0/1 for two classes, else none.</summary>
    private static double[]? TargetAsNumbers(RawTable table, int targetIndex)
    {
        var cells = table.Rows.Select(row => row[targetIndex]).ToList();
        if (cells.All(cell => cell is double or null))
        {
            return cells.Select(cell => cell as double? ?? double.NaN).ToArray();
        }

        var classes = cells.Select(Text).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return classes.Count == 2 ? cells.Select(cell => Text(cell) is { } value ? classes.IndexOf(value) : double.NaN).ToArray() : null;
    }

    private static NumericSummary Summarize(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mean = sorted.Average();
        var std = Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, sorted.Length - 1));
        var histogram = new int[HistogramBins];
        var width = (sorted[^1] - sorted[0]) / HistogramBins;
        foreach (var value in sorted)
        {
            histogram[width == 0 ? 0 : Math.Min(HistogramBins - 1, (int)((value - sorted[0]) / width))]++;
        }

        return new NumericSummary(mean, std, sorted[0], Quantile(sorted, 0.25), Quantile(sorted, 0.5), Quantile(sorted, 0.75), sorted[^1], histogram);
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(sorted.Length - 1, low + 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    public static double? Pearson(double[] x, double[] y)
    {
        if (x.Length < 3)
        {
            return null;
        }

        var mx = x.Average();
        var my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx == 0 || syy == 0 ? null : sxy / Math.Sqrt(sxx * syy);
    }

    private static List<(string A, string B, double R)> Correlated(RawTable table, List<ColumnProfile> columns)
    {
        var numeric = columns.Where(column => column.Kind == ColumnKind.Numeric).Select(column => column.Name).Take(200).ToList();
        var vectors = numeric.ToDictionary(name => name, name =>
        {
            var index = table.ColumnIndex(name);
            return table.Rows.Select(row => row[index] as double? ?? double.NaN).ToArray();
        });
        var pairs = new List<(string, string, double)>();
        for (var i = 0; i < numeric.Count; i++)
        {
            for (var j = i + 1; j < numeric.Count; j++)
            {
                var a = vectors[numeric[i]];
                var b = vectors[numeric[j]];
                var rows = Enumerable.Range(0, a.Length).Where(r => !double.IsNaN(a[r]) && !double.IsNaN(b[r])).ToArray();
                if (Pearson(rows.Select(r => a[r]).ToArray(), rows.Select(r => b[r]).ToArray()) is { } r && Math.Abs(r) >= 0.9)
                {
                    pairs.Add((numeric[i], numeric[j], r));
                }
            }
        }

        return pairs.OrderByDescending(pair => Math.Abs(pair.Item3)).ToList();
    }
}
