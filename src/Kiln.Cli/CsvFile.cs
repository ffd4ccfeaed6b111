using Kiln.Core.Tabular;

namespace Kiln.Cli;

/// <summary>A local CSV with a header row, read by the shared <see cref="CsvReader"/>; bad CSV is the command's error.</summary>
internal sealed record CsvFile(List<string> Header, List<string[]> Rows)
{
    public static CsvFile Read(FileInfo file, bool headerOnly = false)
    {
        try
        {
            using var csv = CsvReader.FromFile(file.FullName, header: true, ragged: true);
            var rows = new List<string[]>();
            while (!headerOnly && csv.Read())
            {
                rows.Add(csv.ToStrings());
            }

            return new CsvFile([.. csv.Header ?? []], rows);
        }
        catch (CsvFormatException e)
        {
            throw new KilnApiException("ValidationError", $"{file.Name} {e.Message}.");
        }
    }

    /// <summary>One column's cells, "" where a row is too short.</summary>
    public List<string> Column(int index) => Rows.Select(cells => index >= 0 && index < cells.Length ? cells[index] : "").ToList();
}
