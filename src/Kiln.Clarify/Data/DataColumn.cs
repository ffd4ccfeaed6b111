using System.Globalization;

namespace Kiln.Clarify.Data;

/// <summary>How pandas' read_csv would type a column; Clarify's rules for facets and labels depend on it.</summary>
public enum ColumnKind
{
    Integer,
    Float,
    Text,
}

/// <summary>One column of the dataset: raw cells (null when missing) and their numeric values (NaN when not a number).</summary>
public sealed class DataColumn
{
    private static readonly HashSet<string> MissingMarkers = new(StringComparer.Ordinal)
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
        "NULL", "NaN", "n/a", "nan", "null",
    };

    public DataColumn(string name, IReadOnlyList<string?> cells)
    {
        Name = name;
        Cells = [.. cells.Select(c => c is null || MissingMarkers.Contains(c) ? null : c)];
        Numbers = new double[Cells.Length];
        var allIntegers = true;
        var allNumbers = true;
        var missing = false;
        for (var i = 0; i < Cells.Length; i++)
        {
            var cell = Cells[i];
            if (cell is null)
            {
                missing = true;
                Numbers[i] = double.NaN;
                continue;
            }
            allIntegers &= long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                Numbers[i] = number;
            }
            else
            {
                allNumbers = false;
                Numbers[i] = double.NaN;
            }
        }
        // pandas keeps an integer column with gaps as float64.
        Kind = !allNumbers ? ColumnKind.Text : allIntegers && !missing ? ColumnKind.Integer : ColumnKind.Float;
        Present = Cells.Count(c => c is not null);
        Distinct = Kind == ColumnKind.Text
            ? Cells.Where(c => c is not null).Distinct(StringComparer.Ordinal).Count()
            : Numbers.Where(n => !double.IsNaN(n)).Distinct().Count();
        if (Kind == ColumnKind.Text)
        {
            TextHoldsIntegers = Cells.All(c => c is null || long.TryParse(c.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
        }
    }

    public string Name { get; }

    public string?[] Cells { get; }

    public double[] Numbers { get; }

    public ColumnKind Kind { get; }

    public bool IsNumeric => Kind != ColumnKind.Text;

    public int Count => Cells.Length;

    /// <summary>Cells that are not missing (pandas' count()).</summary>
    public int Present { get; }

    /// <summary>Distinct non-missing values (pandas' nunique()).</summary>
    public int Distinct { get; }

    /// <summary>A text column whose values all cast to int64 (pandas' astype("int64") succeeds).</summary>
    public bool TextHoldsIntegers { get; }

    public bool IsMissing(int row) => Cells[row] is null;

    /// <summary>The value as Python's str() prints the pandas element (1 for int64, 1.0 for float64).</summary>
    public string Display(int row) => Kind switch
    {
        ColumnKind.Integer => Config.PythonFormat.Integer(Numbers[row]),
        ColumnKind.Float => Config.PythonFormat.Float(Numbers[row]),
        _ => Cells[row] ?? "nan",
    };

    /// <summary>Largest value (NaN skipped), as pandas' max().</summary>
    public double Max() => Numbers.Where(n => !double.IsNaN(n)).DefaultIfEmpty(double.NaN).Max();
}
