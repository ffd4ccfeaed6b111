using System.Text.Json;
using Kiln.Monitoring.Sketches;

namespace Kiln.Monitoring.Statistics;

/// <summary>Model Monitor's statistics.json (data quality), written and read.</summary>
public static class StatisticsJson
{
    public static void Write(DatasetStatistics statistics, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("version", 0.0);
        w.WriteStartObject("dataset");
        w.WriteNumber("item_count", statistics.ItemCount);
        w.WriteEndObject();
        w.WriteStartArray("features");
        foreach (var feature in statistics.Features)
        {
            WriteFeature(w, feature);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static string ToJson(DatasetStatistics statistics)
    {
        using var stream = new MemoryStream();
        Write(statistics, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteFeature(Utf8JsonWriter w, FeatureStatistics feature)
    {
        w.WriteStartObject();
        w.WriteString("name", feature.Name);
        w.WriteString("inferred_type", feature.InferredType.ToString());
        if (feature.Numerical is { } numerical)
        {
            w.WriteStartObject("numerical_statistics");
            WriteCommon(w, feature);
            JsonNumbers.Write(w, "mean", numerical.Mean);
            JsonNumbers.Write(w, "sum", numerical.Sum);
            JsonNumbers.Write(w, "std_dev", numerical.StdDev);
            JsonNumbers.Write(w, "min", numerical.Min);
            JsonNumbers.Write(w, "max", numerical.Max);
            w.WriteStartObject("distribution");
            w.WriteStartObject("kll");
            w.WriteStartArray("buckets");
            foreach (var bucket in numerical.Buckets)
            {
                w.WriteStartObject();
                JsonNumbers.Write(w, "lower_bound", bucket.LowerBound);
                JsonNumbers.Write(w, "upper_bound", bucket.UpperBound);
                w.WriteNumber("count", (double)bucket.Count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("sketch");
            w.WriteStartObject("parameters");
            w.WriteNumber("c", numerical.Sketch.C);
            w.WriteNumber("k", (double)numerical.Sketch.K);
            w.WriteEndObject();
            w.WriteStartArray("data");
            foreach (var level in numerical.Sketch.Levels)
            {
                w.WriteStartArray();
                foreach (var value in level.Span)
                {
                    w.WriteNumberValue(value);
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            var strings = feature.String ?? new StringStatistics(0, []);
            w.WriteStartObject("string_statistics");
            WriteCommon(w, feature);
            w.WriteNumber("distinct_count", (double)strings.DistinctCount);
            w.WriteStartObject("distribution");
            w.WriteStartObject("categorical");
            w.WriteStartArray("buckets");
            foreach (var bucket in strings.Buckets)
            {
                w.WriteStartObject();
                w.WriteString("value", bucket.Value);
                w.WriteNumber("count", bucket.Count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteCommon(Utf8JsonWriter w, FeatureStatistics feature)
    {
        w.WriteStartObject("common");
        w.WriteNumber("num_present", feature.NumPresent);
        w.WriteNumber("num_missing", feature.NumMissing);
        w.WriteEndObject();
    }

    public static DatasetStatistics Read(Stream stream)
    {
        try
        {
            using var document = JsonDocument.Parse(stream);
            return Read(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The statistics file is not JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new MonitoringInputException($"The statistics file does not have Model Monitor's schema: {e.Message}", e);
        }
    }

    public static DatasetStatistics Parse(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return Read(stream);
    }

    private static DatasetStatistics Read(JsonElement root)
    {
        var itemCount = root.TryGetProperty("dataset", out var dataset) && dataset.TryGetProperty("item_count", out var count) && count.ValueKind == JsonValueKind.Number
            ? (long)count.GetDouble()
            : throw new MonitoringInputException("The statistics file has no dataset.item_count.");
        if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            throw new MonitoringInputException("The statistics file has no features array.");
        }

        return new DatasetStatistics(itemCount, features.EnumerateArray().Select(ReadFeature).ToList());
    }

    private static FeatureStatistics ReadFeature(JsonElement feature)
    {
        var name = Json.RequiredString(feature, "name", "A feature of the statistics file");
        var type = Json.Type(feature, $"Feature '{name}' of the statistics file");
        if (feature.TryGetProperty("numerical_statistics", out var numerical))
        {
            var (present, missing) = Common(numerical, name);
            var sketch = ReadSketch(numerical, name);
            var buckets = new List<KllBucket>();
            if (numerical.TryGetProperty("distribution", out var distribution) && distribution.TryGetProperty("kll", out var kll) && kll.TryGetProperty("buckets", out var list))
            {
                buckets.AddRange(list.EnumerateArray().Select(b => new KllBucket(Json.Number(b, "lower_bound"), Json.Number(b, "upper_bound"), (long)Json.Number(b, "count"))));
            }

            return new FeatureStatistics(name, type, present, missing, new NumericalStatistics(
                Json.Number(numerical, "mean"), Json.Number(numerical, "sum"), Json.Number(numerical, "std_dev"),
                Json.Number(numerical, "min"), Json.Number(numerical, "max"), buckets, sketch), null);
        }

        if (feature.TryGetProperty("string_statistics", out var strings))
        {
            var (present, missing) = Common(strings, name);
            var buckets = new List<CategoricalBucket>();
            if (strings.TryGetProperty("distribution", out var distribution) && distribution.TryGetProperty("categorical", out var categorical) && categorical.TryGetProperty("buckets", out var list))
            {
                buckets.AddRange(list.EnumerateArray().Select(b => new CategoricalBucket(
                    b.TryGetProperty("value", out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()) : string.Empty,
                    (long)Json.Number(b, "count"))));
            }

            var distinct = strings.TryGetProperty("distinct_count", out var d) && d.ValueKind == JsonValueKind.Number ? (long)d.GetDouble() : buckets.Count;
            return new FeatureStatistics(name, type, present, missing, null, new StringStatistics(distinct, buckets));
        }

        return new FeatureStatistics(name, type, 0, 0, null, null);
    }

    private static (long Present, long Missing) Common(JsonElement statistics, string name)
    {
        if (!statistics.TryGetProperty("common", out var common))
        {
            throw new MonitoringInputException($"Feature '{name}' of the statistics file has no common counts.");
        }

        return ((long)Json.Number(common, "num_present"), (long)Json.Number(common, "num_missing"));
    }

    private static KllSketch ReadSketch(JsonElement numerical, string name)
    {
        if (!numerical.TryGetProperty("distribution", out var distribution) || !distribution.TryGetProperty("kll", out var kll)
            || !kll.TryGetProperty("sketch", out var sketch) || !sketch.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return new KllSketch();
        }

        var k = KllSketch.DefaultK;
        var c = KllSketch.DefaultC;
        if (sketch.TryGetProperty("parameters", out var parameters))
        {
            k = (int)Json.Number(parameters, "k", k);
            c = Json.Number(parameters, "c", c);
        }

        try
        {
            var levels = data.EnumerateArray().Select(level => (IReadOnlyList<double>)level.EnumerateArray().Select(v => v.GetDouble()).ToList()).ToList();
            return KllSketch.FromLevels(k, c, levels);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new MonitoringInputException($"The KLL sketch of feature '{name}' in the statistics file is malformed.", e);
        }
    }
}
