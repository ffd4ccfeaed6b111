using System.Text.Json;
using Kiln.Clarify.Config;
using Kiln.Core.Tabular;

namespace Kiln.Clarify.Data;

/// <summary>Reads the analysis dataset in the dataset_type the config names.</summary>
public static class DatasetReader
{
    public static ClarifyDataset Read(AnalysisConfig config, TextReader reader) =>
        config.DatasetType == AnalysisConfig.JsonLines
            ? ReadJsonLines(reader, config.Headers, config.Features, config.Label)
            : ReadCsv(reader, config.Headers);

    /// <summary>
    /// CSV (RFC 4180 quoting). Without headers the first row names the columns; with headers a first row equal to
    /// them is skipped and every other row is data.
    /// </summary>
    public static ClarifyDataset ReadCsv(TextReader reader, IReadOnlyList<string>? headers)
    {
        var rows = ParseCsv(reader);
        if (rows.Count == 0)
        {
            throw new ClarifyValidationException("The dataset is empty.");
        }
        IReadOnlyList<string> names;
        if (headers is null)
        {
            names = [.. rows[0].Select(c => c ?? "")];
            rows.RemoveAt(0);
        }
        else
        {
            names = headers;
            if (rows[0].SequenceEqual(headers))
            {
                rows.RemoveAt(0);
            }
        }
        if (rows.Count == 0)
        {
            throw new ClarifyValidationException("The dataset has no data rows.");
        }
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Count != names.Count)
            {
                throw new ClarifyValidationException(
                    $"Dataset row {r + 1} has {rows[r].Count} values but there are {names.Count} columns.");
            }
        }
        return new ClarifyDataset([.. names.Select((name, c) => new DataColumn(name, [.. rows.Select(row => row[c])]))]);
    }

    /// <summary>
    /// JSON Lines: flat objects keyed by header, or (with <paramref name="features"/>) the SageMaker dense format
    /// {"features": [...], "label": ...} where the headers name the features and then the label.
    /// </summary>
    public static ClarifyDataset ReadJsonLines(TextReader reader, IReadOnlyList<string>? headers, string? features, ColumnRef? label)
    {
        var records = new List<JsonElement>();
        string? line;
        var number = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ClarifyValidationException($"Dataset line {number} is not a JSON object.");
                }
                records.Add(doc.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new ClarifyValidationException($"Dataset line {number} is not valid JSON: {e.Message}");
            }
        }
        if (records.Count == 0)
        {
            throw new ClarifyValidationException("The dataset is empty.");
        }
        return features is null ? FlatRecords(records, headers) : DenseRecords(records, headers, features, label);
    }

    private static ClarifyDataset FlatRecords(List<JsonElement> records, IReadOnlyList<string>? headers)
    {
        var names = headers ?? [.. records[0].EnumerateObject().Select(p => p.Name)];
        return new ClarifyDataset([.. names.Select(name => new DataColumn(name,
            [.. records.Select(r => r.TryGetProperty(name, out var v) ? Cell(v) : null)]))]);
    }

    private static ClarifyDataset DenseRecords(List<JsonElement> records, IReadOnlyList<string>? headers, string features, ColumnRef? label)
    {
        var labelKey = label?.Name;
        var rows = new List<List<string?>>();
        foreach (var record in records)
        {
            if (!record.TryGetProperty(features, out var values) || values.ValueKind != JsonValueKind.Array)
            {
                throw new ClarifyValidationException($"A dataset record has no '{features}' list of feature values.");
            }
            var row = values.EnumerateArray().Select(Cell).ToList();
            if (labelKey is not null)
            {
                row.Add(record.TryGetProperty(labelKey, out var l) ? Cell(l) : null);
            }
            rows.Add(row);
        }
        var width = rows[0].Count;
        if (rows.Any(r => r.Count != width))
        {
            throw new ClarifyValidationException("Dataset records have different numbers of features.");
        }
        var names = headers ?? [.. Enumerable.Range(0, width).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (names.Count != width)
        {
            throw new ClarifyValidationException($"headers name {names.Count} columns but the records have {width} (features, then the label).");
        }
        return new ClarifyDataset([.. names.Select((name, c) => new DataColumn(name, [.. rows.Select(r => r[c])]))]);
    }

    private static string? Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => value.GetRawText(),
    };

    private static List<List<string?>> ParseCsv(TextReader reader)
    {
        var rows = new List<List<string?>>();
        try
        {
            using var csv = CsvReader.FromText(reader.ReadToEnd(), header: false, ragged: true);
            while (csv.Read())
            {
                rows.Add([.. csv.ToStrings()]);
            }
        }
        catch (CsvFormatException e) when (e.Kind == CsvProblem.Malformed)
        {
            throw new ClarifyValidationException($"The CSV dataset ends inside a quoted value or is malformed ({e.Message}).");
        }

        return rows;
    }
}
