using System.Globalization;
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

        var features = new List<float[]>();
        var labels = new List<float>();
        var width = -1;
        foreach (var file in files)
        {
            var shown = $"{channel.Name}/{Path.GetRelativePath(channel.Directory, file)}";
            var lineNumber = 0L;
            var any = false;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                any = true;
                var cells = line.Contains('"', StringComparison.Ordinal)
                    ? CsvRecords.Read(new StringReader(line)).First().Fields.Select(field => field ?? "").ToArray()
                    : line.Split(',');
                if (width < 0)
                {
                    width = cells.Length;
                }
                else if (cells.Length != width)
                {
                    throw new TrainingFailedException(
                        $"{shown} line {lineNumber}, column {Math.Min(cells.Length, width) + 1}: the row has {cells.Length} columns where the first row has {width} (a ragged row).");
                }

                var offset = hasLabel ? 1 : 0;
                if (hasLabel)
                {
                    labels.Add(Parse(cells[0], shown, lineNumber, 1, label: true));
                }

                var row = new float[cells.Length - offset];
                for (var c = offset; c < cells.Length; c++)
                {
                    row[c - offset] = Parse(cells[c], shown, lineNumber, c + 1, label: false);
                }

                features.Add(row);
            }

            if (!any)
            {
                throw new TrainingFailedException($"{shown} line 1, column 1: the file is empty.");
            }
        }

        return new Table(features, labels, width - (hasLabel ? 1 : 0));
    }

    private static float Parse(string cell, string shown, long line, int column, bool label)
    {
        var text = cell.AsSpan().Trim();
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
