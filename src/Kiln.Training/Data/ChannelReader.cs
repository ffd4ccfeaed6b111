using System.Globalization;
using System.Text.Json;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// Reads a channel's files into a <see cref="RawTable"/>. SageMaker's CSV convention is checked strictly
/// (every cell a number, every row as wide as the first, a label on every row); the other formats keep
/// text cells for the encoder. Every refusal names the file, the line and the column.
/// </summary>
public static class ChannelReader
{
    public const string LabelColumn = "label";

    public static async Task<RawTable> ReadAsync(TrainingChannel channel, DataLayout layout, CancellationToken ct)
    {
        var files = channel.Files();
        if (files.Count == 0)
        {
            throw new TrainingFailedException($"Channel '{channel.Name}' has no data files.");
        }

        RawTable? table = null;
        foreach (var file in files)
        {
            var shown = $"{channel.Name}/{Path.GetRelativePath(channel.Directory, file)}";
            if (new FileInfo(file).Length == 0)
            {
                throw new TrainingFailedException($"{shown} line 1, column 1: the file is empty.");
            }

            var part = layout.Format switch
            {
                DataFormat.CsvLabelFirst => ReadLabelFirstCsv(file, shown, layout.HasLabel),
                DataFormat.CsvWithHeader => ReadHeaderCsv(file, shown),
                DataFormat.JsonLines => ReadJsonLines(file, shown),
                DataFormat.Parquet => await ReadParquetAsync(file, shown, ct).ConfigureAwait(false),
                _ => ReadLabeledText(file, shown),
            };
            table = table is null ? part : Append(table, part, shown);
            ct.ThrowIfCancellationRequested();
        }

        if (table!.Rows.Count == 0)
        {
            throw new TrainingFailedException($"Channel '{channel.Name}' has no rows.");
        }

        return table;
    }

    private static RawTable ReadLabelFirstCsv(string file, string shown, bool hasLabel)
    {
        using var reader = new StreamReader(file);
        RawTable? table = null;
        foreach (var (fields, line) in CsvRecords.Read(reader))
        {
            table ??= new RawTable(hasLabel
                ? [LabelColumn, .. Enumerable.Range(1, fields.Count - 1).Select(i => $"f{i}")]
                : Enumerable.Range(1, fields.Count).Select(i => $"f{i}").ToList());
            if (fields.Count != table.Columns.Count)
            {
                throw new TrainingFailedException(
                    $"{shown} line {line}, column {Math.Min(fields.Count, table.Columns.Count) + 1}: the row has {fields.Count} columns where the first row has {table.Columns.Count} (a ragged row).");
            }

            var cells = new object?[fields.Count];
            for (var column = 0; column < fields.Count; column++)
            {
                var text = fields[column];
                if (text is null)
                {
                    if (column == 0 && hasLabel)
                    {
                        throw new TrainingFailedException($"{shown} line {line}, column 1: the label is missing (SageMaker's CSV format puts the label in the first column).");
                    }

                    cells[column] = null;
                }
                else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    cells[column] = number;
                }
                else
                {
                    throw new TrainingFailedException(
                        $"{shown} line {line}, column {column + 1}: '{Shorten(text)}' is not a number (built-in algorithms read CSV without a header, label first, numbers only; for a header row pass the target_column hyperparameter or ContentType text/csv;header=present).");
                }
            }

            table.Add(cells, new RowSource(shown, line));
        }

        return table ?? throw new TrainingFailedException($"{shown} line 1, column 1: the file has no rows.");
    }

    private static RawTable ReadHeaderCsv(string file, string shown)
    {
        using var reader = new StreamReader(file);
        RawTable? table = null;
        foreach (var (fields, line) in CsvRecords.Read(reader))
        {
            if (table is null)
            {
                table = new RawTable(fields.Select((name, i) => string.IsNullOrEmpty(name) ? $"column_{i + 1}" : name!).ToList());
                continue;
            }

            if (fields.Count != table.Columns.Count)
            {
                throw new TrainingFailedException(
                    $"{shown} line {line}, column {Math.Min(fields.Count, table.Columns.Count) + 1}: the row has {fields.Count} columns where the header has {table.Columns.Count} (a ragged row).");
            }

            table.Add(fields.Select(Cell).ToArray(), new RowSource(shown, line));
        }

        return table ?? throw new TrainingFailedException($"{shown} line 1, column 1: the file has no header.");
    }

    private static RawTable ReadJsonLines(string file, string shown)
    {
        var columns = new List<string>();
        var records = new List<(Dictionary<string, object?> Values, long Line)>();
        var line = 0L;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw new TrainingFailedException($"{shown} line {line}, column {(e.BytePositionInLine ?? 0) + 1}: not valid JSON ({e.Message.Split('.')[0]}).");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new TrainingFailedException($"{shown} line {line}, column 1: each line must be a JSON object.");
                }

                var values = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!columns.Contains(property.Name))
                    {
                        columns.Add(property.Name);
                    }

                    values[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.Number => property.Value.GetDouble(),
                        JsonValueKind.True => 1.0,
                        JsonValueKind.False => 0.0,
                        JsonValueKind.String => Cell(property.Value.GetString()),
                        JsonValueKind.Null => null,
                        _ => throw new TrainingFailedException($"{shown} line {line}, column '{property.Name}': nested values are not supported."),
                    };
                }

                records.Add((values, line));
            }
        }

        var table = new RawTable(columns);
        foreach (var (values, recordLine) in records)
        {
            table.Add(columns.Select(column => values.GetValueOrDefault(column)).ToArray(), new RowSource(shown, recordLine));
        }

        return table;
    }

    private static async Task<RawTable> ReadParquetAsync(string file, string shown, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        var result = await Parquet.Serialization.ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: ct).ConfigureAwait(false);
        var table = new RawTable(result.Schema.GetDataFields().Select(field => field.Name).ToList());
        var line = 0L;
        foreach (var row in result.Data)
        {
            line++;
            table.Add(table.Columns.Select(column => ParquetCell(row.GetValueOrDefault(column))).ToArray(), new RowSource(shown, line));
        }

        return table;
    }

    private static RawTable ReadLabeledText(string file, string shown)
    {
        var table = new RawTable([LabelColumn, "text"]);
        var line = 0L;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var trimmed = text.TrimStart();
            if (!trimmed.StartsWith("__label__", StringComparison.Ordinal))
            {
                throw new TrainingFailedException($"{shown} line {line}, column 1: the label is missing (supervised mode expects lines like '__label__positive some text').");
            }

            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            var label = space < 0 ? trimmed["__label__".Length..] : trimmed["__label__".Length..space];
            table.Add([label, space < 0 ? "" : trimmed[(space + 1)..]], new RowSource(shown, line));
        }

        return table;
    }

    /// <summary>A text cell: missing ("", NA), a number, or text.</summary>
    private static object? Cell(string? text) =>
        text is null or "" or "NA" or "NaN" or "null"
            ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : text;

    private static object? ParquetCell(object? value) => value switch
    {
        null => null,
        string text => Cell(text),
        bool flag => flag ? 1.0 : 0.0,
        DateTime or DateTimeOffset => value.ToString(),
        IConvertible convertible => convertible.ToDouble(CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static RawTable Append(RawTable table, RawTable part, string shown)
    {
        if (!table.Columns.SequenceEqual(part.Columns))
        {
            throw new TrainingFailedException($"{shown} line 1, column 1: its columns ({string.Join(", ", part.Columns.Take(5))}…) differ from the channel's first file.");
        }

        for (var i = 0; i < part.Rows.Count; i++)
        {
            table.Add(part.Rows[i], part.Sources[i]);
        }

        return table;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
