namespace Kiln.Core.Tabular;

public enum CsvProblem
{
    Malformed,
    NotANumber,
    RaggedRow,
}

/// <summary>Bad CSV, where it is: <c>line 2, column 3: 'abc' is not a number</c>.</summary>
public class CsvFormatException(int line, int column, string problem, CsvProblem kind = CsvProblem.Malformed)
    : FormatException($"line {line}, column {column}: {problem}")
{
    /// <summary>The 1-based line of the record.</summary>
    public int Line { get; } = line;

    /// <summary>The 1-based column.</summary>
    public int Column { get; } = column;

    /// <summary>What is wrong, without the position.</summary>
    public string Problem { get; } = problem;

    public CsvProblem Kind { get; } = kind;
}

/// <summary>A record of another width than the first (or the header).</summary>
public sealed class CsvRaggedRowException(int line, int count, int width, bool header)
    : CsvFormatException(line, Math.Min(count, width) + 1, $"the row has {count} columns where the {(header ? "header" : "first row")} has {width} (a ragged row)", CsvProblem.RaggedRow)
{
    /// <summary>The record's number of cells.</summary>
    public int Count { get; } = count;

    /// <summary>The number of cells of the first record or the header.</summary>
    public int Width { get; } = width;
}
