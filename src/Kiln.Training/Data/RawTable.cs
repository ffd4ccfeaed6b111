namespace Kiln.Training.Data;

/// <summary>
/// A table as read from files, before encoding: named columns of cells that are numbers, text or missing
/// (<see langword="null"/>). Each row remembers where it came from, so bad data can be reported precisely.
/// </summary>
public sealed class RawTable(IReadOnlyList<string> columns)
{
    public IReadOnlyList<string> Columns { get; } = columns;

    public List<object?[]> Rows { get; } = [];

    public List<RowSource> Sources { get; } = [];

    public void Add(object?[] cells, RowSource source)
    {
        Rows.Add(cells);
        Sources.Add(source);
    }

    public int ColumnIndex(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Where a row was read: the file as the job sees it (channel-relative) and its 1-based line.</summary>
public readonly record struct RowSource(string File, long Line);
