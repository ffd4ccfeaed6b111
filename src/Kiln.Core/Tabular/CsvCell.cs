using System.Globalization;

namespace Kiln.Core.Tabular;

/// <summary>
/// One cell of a CSV record: its text without the quotes (doubled quotes made single) and, unquoted, without
/// surrounding white space; <see cref="Quoted"/> tells <c>""</c> and <c>"12"</c> (text) from an empty or numeric cell.
/// </summary>
public readonly ref struct CsvCell
{
    private CsvCell(ReadOnlySpan<char> text, bool quoted, int line, int column)
    {
        Text = text;
        Quoted = quoted;
        Line = line;
        Column = column;
    }

    public ReadOnlySpan<char> Text { get; }

    public bool Quoted { get; }

    public bool IsEmpty => Text.IsEmpty;

    /// <summary>The 1-based line of the record the cell is in.</summary>
    public int Line { get; }

    /// <summary>The 0-based column.</summary>
    public int Column { get; }

    /// <summary>A number in the invariant culture (<c>1.5</c>, <c>-3e2</c>, <c>NaN</c>).</summary>
    public bool TryDouble(out double value) =>
        double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>As <see cref="TryDouble"/>, to a float; short decimals take an exact fast path.</summary>
    public bool TryFloat(out float value) =>
        ShortDecimal.TryParse(Text, out value) || float.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>The cell as a double; a <see cref="CsvFormatException"/> naming line and column when it is not one.</summary>
    public double ToDouble() => TryDouble(out var value) ? value : throw NotANumber();

    /// <summary>The cell as a float; a <see cref="CsvFormatException"/> naming line and column when it is not one.</summary>
    public float ToFloat() => TryFloat(out var value) ? value : throw NotANumber();

    public override string ToString() => Text.ToString();

    internal static CsvCell Of(ReadOnlySpan<char> raw, int line, int column)
    {
        var text = raw.Trim();
        if (text.IsEmpty || text[0] != '"')
        {
            return new CsvCell(text, false, line, column);
        }

        var close = text[1..].IndexOf('"') + 1;
        if (close > 0 && close == text.Length - 1)
        {
            return new CsvCell(text[1..close], true, line, column); // the common "…" with no quote inside
        }

        return new CsvCell(Unescape(text, line, column), true, line, column);
    }

    /// <summary>Quotes open and close anywhere in the cell (as Sep splits them); two quotes inside quotes are one.</summary>
    private static string Unescape(ReadOnlySpan<char> text, int line, int column)
    {
        var result = new System.Text.StringBuilder(text.Length);
        var inQuotes = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '"')
            {
                result.Append(c);
            }
            else if (inQuotes && i + 1 < text.Length && text[i + 1] == '"')
            {
                result.Append('"');
                i++;
            }
            else
            {
                inQuotes = !inQuotes;
            }
        }

        return inQuotes ? throw new CsvFormatException(line, column + 1, "a quoted value is not closed") : result.ToString();
    }

    private CsvFormatException NotANumber()
    {
        var shown = Text.Length <= 40 ? Text.ToString() : Text[..37].ToString() + "...";
        return new CsvFormatException(Line, Column + 1, $"'{shown}' is not a number", CsvProblem.NotANumber);
    }
}
