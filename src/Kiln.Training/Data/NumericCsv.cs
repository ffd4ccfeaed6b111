using Kiln.Core.Tabular;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// The fast path for SageMaker's CSV convention (label first, no header, numbers only): rows parse straight
/// into float vectors, with no per-cell objects. Every refusal matches <see cref="ChannelReader"/>'s wording:
/// file, line and column.
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
        var offset = hasLabel ? 1 : 0;
        foreach (var file in files)
        {
            var shown = $"{channel.Name}/{Path.GetRelativePath(channel.Directory, file)}";
            try
            {
                using var csv = CsvReader.FromFile(file);
                var any = false;
                while (csv.Read())
                {
                    if (width < 0)
                    {
                        width = csv.Count;
                    }
                    else if (csv.Count != width)
                    {
                        throw new CsvRaggedRowException(csv.Line, csv.Count, width, header: false); // against the channel's first file
                    }

                    var row = new float[width - offset];
                    for (var c = 0; c < width; c++)
                    {
                        var cell = csv[c];
                        var value = LabelFirstCsv.Missing(cell, hasLabel && c == 0, shown) ? float.NaN : cell.ToFloat();
                        if (c < offset)
                        {
                            labels.Add(value);
                        }
                        else
                        {
                            row[c - offset] = value;
                        }
                    }

                    features.Add(row);
                    any = true;
                }

                if (!any)
                {
                    throw new TrainingFailedException($"{shown} line 1, column 1: the file is empty.");
                }
            }
            catch (CsvFormatException e)
            {
                throw LabelFirstCsv.Failed(shown, e);
            }
        }

        return new Table(features, labels, width - offset);
    }

    /// <summary>See <see cref="ShortDecimal"/>.</summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out float value) => ShortDecimal.TryParse(text, out value);
}
