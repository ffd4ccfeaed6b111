using System.Globalization;
using System.Text;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// The fast path for SageMaker's CSV convention (label first, no header, numbers only): lines parse straight
/// into float vectors, with no per-cell objects. Every refusal matches <see cref="ChannelReader"/>'s wording:
/// file, line and column. A line with quotes goes through the full CSV parser.
/// </summary>
internal static class NumericCsv
{
    public sealed record Table(List<float[]> Features, List<float> Labels, int Width);

    public static Table Read(TrainingChannel channel, bool hasLabel)
    {
        var files = channel.Files();
        if (files.Count == 0)
        {
            throw new TrainingFailedException($"Channel '{channel.Name}' has no data files.");
        }

        var table = new Builder(hasLabel);
        foreach (var file in files)
        {
            var shown = $"{channel.Name}/{Path.GetRelativePath(channel.Directory, file)}";
            if (!table.ReadFile(file, shown))
            {
                throw new TrainingFailedException($"{shown} line 1, column 1: the file is empty.");
            }
        }

        return new Table(table.Features, table.Labels, table.Width - (hasLabel ? 1 : 0));
    }

    /// <summary>Rows parsed from UTF-8 bytes a buffer at a time: no string per line or per cell.</summary>
    private sealed class Builder(bool hasLabel)
    {
        public List<float[]> Features { get; } = [];

        public List<float> Labels { get; } = [];

        public int Width { get; private set; } = -1;

        /// <summary>Reads one file's rows; false when it has none.</summary>
        public bool ReadFile(string file, string shown)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var buffer = new byte[1 << 20];
            var filled = 0;
            var lineNumber = 0L;
            var any = false;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
                }

                var read = stream.Read(buffer, filled, buffer.Length - filled);
                filled += read;
                var span = buffer.AsSpan(0, filled);
                var consumed = 0;
                while (true)
                {
                    var end = span[consumed..].IndexOf((byte)'\n');
                    if (end < 0)
                    {
                        break;
                    }

                    any |= Line(span.Slice(consumed, end), ++lineNumber, shown);
                    consumed += end + 1;
                }

                if (read == 0)
                {
                    if (consumed < filled)
                    {
                        any |= Line(span[consumed..], ++lineNumber, shown);
                    }

                    return any;
                }

                span[consumed..].CopyTo(buffer);
                filled -= consumed;
            }
        }

        private bool Line(ReadOnlySpan<byte> line, long lineNumber, string shown)
        {
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.Trim("\t "u8).IsEmpty)
            {
                return false;
            }

            var offset = hasLabel ? 1 : 0;
            if (line.IndexOf((byte)'"') >= 0)
            {
                // Quoted fields: the full CSV parser, then the same checks.
                var fields = CsvRecords.Read(new StringReader(Encoding.UTF8.GetString(line))).First().Fields.Select(field => field ?? "").ToArray();
                CheckWidth(fields.Length, shown, lineNumber);
                var quotedRow = new float[fields.Length - offset];
                for (var c = 0; c < fields.Length; c++)
                {
                    Store(quotedRow, c, Parse(fields[c].AsSpan(), shown, lineNumber, c + 1, hasLabel && c == 0));
                }

                Features.Add(quotedRow);
                return true;
            }

            var count = line.Count((byte)',') + 1;
            CheckWidth(count, shown, lineNumber);
            var row = new float[count - offset];
            var cells = line;
            for (var c = 0; c < count; c++)
            {
                var comma = cells.IndexOf((byte)',');
                var cell = comma < 0 ? cells : cells[..comma];
                cells = comma < 0 ? [] : cells[(comma + 1)..];
                Store(row, c, Parse(cell, shown, lineNumber, c + 1, hasLabel && c == 0));
            }

            Features.Add(row);
            return true;
        }

        private void Store(float[] row, int column, float value)
        {
            if (hasLabel && column == 0)
            {
                Labels.Add(value);
            }
            else
            {
                row[column - (hasLabel ? 1 : 0)] = value;
            }
        }

        private void CheckWidth(int count, string shown, long lineNumber)
        {
            if (Width < 0)
            {
                Width = count;
            }
            else if (count != Width)
            {
                throw new TrainingFailedException(
                    $"{shown} line {lineNumber}, column {Math.Min(count, Width) + 1}: the row has {count} columns where the first row has {Width} (a ragged row).");
            }
        }
    }

    private static float Parse(ReadOnlySpan<byte> cell, string shown, long line, int column, bool label)
    {
        var text = cell.Trim((byte)' ');
        if (text.Length == 0)
        {
            return label
                ? throw new TrainingFailedException($"{shown} line {line}, column 1: the label is missing (SageMaker's CSV format puts the label in the first column).")
                : float.NaN;
        }

        return TryParseShortDecimal(text, out var value) || float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            ? value
            : Parse(Encoding.UTF8.GetString(text).AsSpan(), shown, line, column, label);
    }

    private static readonly float[] PowersOfTen = [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];

    /// <summary>
    /// The common cell, [-]digits[.digits] with at most seven significant digits, parsed exactly: the digits as an integer
    /// below 2^24 and a power of ten up to 10^10 are both exact floats, so one IEEE division rounds correctly (Clinger's
    /// fast path). Anything else (exponents, long mantissas) is left to float.TryParse. Four times faster than it on
    /// numeric CSV.
    /// </summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out float value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            i = 1;
        }

        var mantissa = 0;
        var digits = 0;
        var fraction = -1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.' && fraction < 0)
            {
                fraction = 0;
                continue;
            }

            var digit = c - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            if (mantissa == 0 && digit == 0 && fraction < 0)
            {
                digits = Math.Max(digits, 1);
                continue; // leading zeros
            }

            mantissa = (mantissa * 10) + digit;
            digits++;
            if (fraction >= 0)
            {
                fraction++;
            }

            if (mantissa >= 1 << 24 || fraction >= PowersOfTen.Length)
            {
                return false;
            }
        }

        if (digits == 0 && fraction <= 0)
        {
            return false; // "", "-", ".", "-."
        }

        var result = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        value = negative ? -result : result;
        return true;
    }

    private static float Parse(ReadOnlySpan<char> cell, string shown, long line, int column, bool label)
    {
        var text = cell.Trim();
        if (text.Length == 0)
        {
            return label
                ? throw new TrainingFailedException($"{shown} line {line}, column 1: the label is missing (SageMaker's CSV format puts the label in the first column).")
                : float.NaN;
        }

        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        var shownCell = text.Length <= 40 ? text.ToString() : text[..37].ToString() + "...";
        throw new TrainingFailedException(
            $"{shown} line {line}, column {column}: '{shownCell}' is not a number (built-in algorithms read CSV without a header, label first, numbers only; for a header row pass the target_column hyperparameter or ContentType text/csv;header=present).");
    }
}
