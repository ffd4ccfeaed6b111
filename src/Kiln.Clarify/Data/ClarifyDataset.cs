using Kiln.Clarify.Config;

namespace Kiln.Clarify.Data;

/// <summary>The dataset an analysis runs on: named columns of equal length.</summary>
public sealed class ClarifyDataset
{
    public ClarifyDataset(IReadOnlyList<DataColumn> columns)
    {
        if (columns.Count == 0)
        {
            throw new ClarifyValidationException("The dataset has no columns.");
        }
        if (columns.Select(c => c.Count).Distinct().Count() != 1)
        {
            throw new ClarifyValidationException("The dataset's columns have different lengths.");
        }
        Columns = columns;
        RowCount = columns[0].Count;
    }

    public IReadOnlyList<DataColumn> Columns { get; }

    public int RowCount { get; }

    public IEnumerable<string> Headers => Columns.Select(c => c.Name);

    public DataColumn Column(ColumnRef column, string field)
    {
        if (column.Index is { } index)
        {
            return index < Columns.Count
                ? Columns[index]
                : throw new ClarifyValidationException($"{field} index {index} is out of range: the dataset has {Columns.Count} columns.");
        }
        return Columns.FirstOrDefault(c => c.Name == column.Name)
            ?? throw new ClarifyValidationException(
                $"{field} '{column.Name}' is not a column of the dataset (columns: {string.Join(", ", Headers)}).");
    }

    public int IndexOf(DataColumn column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (ReferenceEquals(Columns[i], column))
            {
                return i;
            }
        }
        return -1;
    }
}
