using System.Globalization;
using System.Text.Json;
using Kiln.Core.Tabular;
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
        try
        {
            using var csv = CsvReader.FromFile(file);
            RawTable? table = null;
            while (csv.Read())
            {
                table ??= new RawTable(hasLabel
                    ? [LabelColumn, .. Enumerable.Range(1, csv.Count - 1).Select(i => $"f{i}")]
                    : Enumerable.Range(1, csv.Count).Select(i => $"f{i}").ToList());
                var cells = new object?[csv.Count];
                for (var column = 0; column < cells.Length; column++)
                {
                    var cell = csv[column];
                    cells[column] = LabelFirstCsv.Missing(cell, hasLabel && column == 0, shown) ? null : cell.ToDouble();
                }

                table.Add(cells, new RowSource(shown, csv.Line));
            }

            return table ?? throw new TrainingFailedException($"{shown} line 1, column 1: the file has no rows.");
        }
        catch (CsvFormatException e)
        {
            throw LabelFirstCsv.Failed(shown, e);
        }
    }

    private static RawTable ReadHeaderCsv(string file, string shown)
    {
        try
        {
            using var csv = CsvReader.FromFile(file, header: true);
            var table = new RawTable(csv.Header?.Select((name, i) => name.Length == 0 ? $"column_{i + 1}" : name).ToList()
                ?? throw new TrainingFailedException($"{shown} line 1, column 1: the file has no header."));
            while (csv.Read())
            {
                var cells = new object?[csv.Count];
                for (var column = 0; column < cells.Length; column++)
                {
                    cells[column] = Cell(csv[column].ToString());
                }

                table.Add(cells, new RowSource(shown, csv.Line));
            }

            return table;
        }
        catch (CsvFormatException e)
        {
            throw LabelFirstCsv.Failed(shown, e);
        }
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
}
