using System.Globalization;
using Kiln.Core.FeatureStore;

namespace Kiln.Studio.Data.FeatureStore;

/// <summary>A string value and how many records of the sample have it.</summary>
public sealed record ValueCount(string Value, int Count);

/// <summary>
/// One feature over a sample of records: how many have a value and how many lack it; for Integral and Fractional features
/// the minimum, mean and maximum of the values that parse as numbers; for String features the number of distinct values
/// and the most frequent ones.
/// </summary>
public sealed record FeatureStatistics(
    FeatureDefinition Feature,
    int Count,
    int Missing,
    double? Min,
    double? Mean,
    double? Max,
    int? Distinct,
    IReadOnlyList<ValueCount> TopValues)
{
    /// <summary>How many of the most frequent string values are kept.</summary>
    public const int TopCount = 5;

    public bool IsNumeric => Feature.Type is FeatureType.Integral or FeatureType.Fractional;

    /// <summary>The statistics of every feature of <paramref name="group"/> over <paramref name="records"/>, in the group's feature order.</summary>
    public static IReadOnlyList<FeatureStatistics> Compute(FeatureGroup group, IReadOnlyList<OnlineRecord> records)
    {
        var values = group.Features.ToDictionary(feature => feature.Name, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var record in records)
        {
            foreach (var (name, value) in record.Values)
            {
                // A record holds each feature once (PutRecord refuses duplicates); a feature the group no longer has is skipped.
                values.GetValueOrDefault(name)?.Add(value);
            }
        }

        return group.Features.Select(feature => Of(feature, values[feature.Name], records.Count)).ToList();
    }

    /// <summary>The statistics of one feature from the values present in <paramref name="total"/> records.</summary>
    public static FeatureStatistics Of(FeatureDefinition feature, IReadOnlyList<string> present, int total)
    {
        var missing = total - present.Count;
        if (feature.Type is FeatureType.Integral or FeatureType.Fractional)
        {
            var numbers = present
                .Select(text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : (double?)null)
                .OfType<double>()
                .ToList();
            return numbers.Count == 0
                ? new FeatureStatistics(feature, present.Count, missing, null, null, null, null, [])
                : new FeatureStatistics(feature, present.Count, missing, numbers.Min(), RunningMean(numbers), numbers.Max(), null, []);
        }

        var counts = present.GroupBy(value => value, StringComparer.Ordinal).Select(group => new ValueCount(group.Key, group.Count())).ToList();
        var top = counts.OrderByDescending(count => count.Count).ThenBy(count => count.Value, StringComparer.Ordinal).Take(TopCount).ToList();
        return new FeatureStatistics(feature, present.Count, missing, null, null, null, counts.Count, top);
    }

    /// <summary>A running mean (no overflow on large values or long samples).</summary>
    private static double RunningMean(IReadOnlyList<double> numbers)
    {
        var mean = 0.0;
        for (var i = 0; i < numbers.Count; i++)
        {
            mean += (numbers[i] - mean) / (i + 1);
        }

        return mean;
    }
}
