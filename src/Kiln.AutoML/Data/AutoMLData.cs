using System.Globalization;
using System.Text;
using Kiln.Core.Artifacts;
using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Training;
using Kiln.Training.Data;

namespace Kiln.AutoML.Data;

/// <summary>
/// Reads an AutoML job's data (CSV with a header, Parquet or JSON Lines under an S3 prefix or object), splits it
/// into the rows candidates train on and the rows they are scored on, and writes both back as headed CSV.
/// </summary>
public sealed class AutoMLData(DataUris data)
{
    public async Task<RawTable> ReadAsync(string uri, string? contentType, string target, string workDirectory, CancellationToken ct)
    {
        var directory = Path.Combine(workDirectory, $"read-{Guid.NewGuid():N}");
        try
        {
            await data.DownloadAsync(uri, directory, ct).ConfigureAwait(false);
            var channel = new TrainingChannel("training", directory, contentType);
            try
            {
                return await ChannelReader.ReadAsync(channel, DataLayout.For(channel, target), ct).ConfigureAwait(false);
            }
            catch (TrainingFailedException e)
            {
                throw KilnException.InvalidParameter($"Could not read the data at {uri}: {e.Message}");
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>
    /// A seeded split: classification keeps each class's share in both parts (stratified), regression is a shuffle.
    /// Every class keeps at least one row for training.
    /// </summary>
    public static (RawTable Train, RawTable Validation) Split(RawTable table, string target, double validationFraction, bool stratify, int seed)
    {
        var targetIndex = table.ColumnIndex(target);
        var random = new Random(seed);
        var groups = stratify
            ? table.Rows.Select((row, i) => (Key: TableProfile.Text(row[targetIndex]) ?? "", Index: i)).GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.Select(p => p.Index).ToArray()).ToList()
            : [Enumerable.Range(0, table.Rows.Count).ToArray()];
        var validation = new HashSet<int>();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            var take = group.Length < 2 ? 0 : Math.Clamp((int)Math.Round(group.Length * validationFraction), 1, group.Length - 1);
            validation.UnionWith(group.Take(take));
        }

        var train = new RawTable(table.Columns);
        var held = new RawTable(table.Columns);
        for (var i = 0; i < table.Rows.Count; i++)
        {
            (validation.Contains(i) ? held : train).Add(table.Rows[i], table.Sources[i]);
        }

        return (train, held);
    }

    /// <summary>Both tables' rows in one, when they have the same columns in the same order (else null).</summary>
    public static RawTable? Concat(RawTable first, RawTable second)
    {
        if (!first.Columns.SequenceEqual(second.Columns, StringComparer.Ordinal))
        {
            return null;
        }

        var all = new RawTable(first.Columns);
        foreach (var table in new[] { first, second })
        {
            for (var i = 0; i < table.Rows.Count; i++)
            {
                all.Add(table.Rows[i], table.Sources[i]);
            }
        }

        return all;
    }

    /// <summary>Stores a table as CSV with a header at <paramref name="uri"/>, quoting where RFC 4180 needs it; missing cells are empty.</summary>
    public async Task WriteCsvAsync(RawTable table, string uri, string workDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(workDirectory);
        var file = Path.Combine(workDirectory, $"write-{Guid.NewGuid():N}.csv");
        try
        {
            WriteCsvFile(table, file);
            await data.UploadAsync(file, uri, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Writes a table as CSV with a header to a local file, as <see cref="WriteCsvAsync"/> stores it.</summary>
    public static void WriteCsvFile(RawTable table, string file)
    {
        using var writer = new StreamWriter(file, false, new UTF8Encoding(false));
        writer.WriteLine(string.Join(',', table.Columns.Select(Quote)));
        var line = new StringBuilder();
        foreach (var row in table.Rows)
        {
            line.Clear();
            for (var c = 0; c < row.Length; c++)
            {
                if (c > 0)
                {
                    line.Append(',');
                }

                line.Append(row[c] switch
                {
                    null => "",
                    double number => number.ToString("R", CultureInfo.InvariantCulture),
                    var other => Quote(other.ToString() ?? ""),
                });
            }

            writer.WriteLine(line);
        }
    }

    private static string Quote(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}

/// <summary>The up-front check of an AutoML job's data: its columns, row count and the target's distinct values.</summary>
public sealed class AutoMLDataInspector(AutoMLData data, AutoMLWorkspace workspace) : IAutoMLDataInspector
{
    private const int MaxTargetValues = 1000;

    public async Task<DataCheck> InspectAsync(string uri, string? contentType, string targetColumn, CancellationToken ct)
    {
        var table = await data.ReadAsync(uri, contentType, targetColumn, workspace.Root, ct).ConfigureAwait(false);
        var index = table.ColumnIndex(targetColumn);
        if (index < 0)
        {
            return new DataCheck(table.Columns, table.Rows.Count, [], false);
        }

        var cells = table.Rows.Select(row => row[index]).Where(cell => cell is not null).ToList();
        var values = cells.Select(TableProfile.Text).OfType<string>().Distinct(StringComparer.Ordinal).Take(MaxTargetValues).ToList();
        return new DataCheck(table.Columns, table.Rows.Count, values, cells.Count > 0 && cells.All(cell => cell is double));
    }
}

/// <summary>Where AutoML keeps scratch files (downloads, models being scored).</summary>
public sealed record AutoMLWorkspace(string Root);
