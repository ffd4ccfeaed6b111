using Kiln.Core.FeatureStore;
using Kiln.Studio.Data;
using Kiln.Studio.Data.FeatureStore;

namespace Kiln.Studio.Tests;

public sealed class FeatureStatisticsTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly FeatureGroup Group = new()
    {
        Name = "orders",
        Arn = "arn:aws:sagemaker:us-east-1:000000000000:feature-group/orders",
        Region = "us-east-1",
        RecordIdentifierFeatureName = "id",
        EventTimeFeatureName = "ts",
        Features = [Feature("id", FeatureType.String), Feature("ts", FeatureType.Fractional), Feature("amount", FeatureType.Fractional), Feature("visits", FeatureType.Integral), Feature("segment", FeatureType.String)],
        OnlineStore = new OnlineStoreSettings(),
        Status = FeatureGroupStatuses.Created,
        CreationTime = Created,
        LastModifiedTime = Created,
    };

    [Fact]
    public void Numbers_get_count_missing_min_mean_max_and_strings_distinct_and_top_values()
    {
        var records = new[]
        {
            Record("a", ("amount", "10.5"), ("visits", "3"), ("segment", "gold")),
            Record("b", ("amount", "20.25"), ("visits", "5"), ("segment", "silver")),
            Record("c", ("amount", "-4"), ("segment", "gold")),
            Record("d", ("visits", "-7"), ("segment", "bronze"), ("retired", "x")),
        };

        var stats = FeatureStatistics.Compute(Group, records).ToDictionary(s => s.Feature.Name);

        Assert.Equal(["id", "ts", "amount", "visits", "segment"], FeatureStatistics.Compute(Group, records).Select(s => s.Feature.Name));
        var amount = stats["amount"];
        Assert.Equal((3, 1, -4.0, 20.25), (amount.Count, amount.Missing, amount.Min!.Value, amount.Max!.Value));
        Assert.Equal((10.5 + 20.25 - 4) / 3, amount.Mean!.Value, 12);
        Assert.Null(amount.Distinct);
        var visits = stats["visits"];
        Assert.Equal((3, 1, -7.0, 5.0), (visits.Count, visits.Missing, visits.Min!.Value, visits.Max!.Value));
        Assert.Equal(1 / 3.0, visits.Mean!.Value, 12);
        var segment = stats["segment"];
        Assert.Equal((4, 0, 3), (segment.Count, segment.Missing, segment.Distinct!.Value));
        Assert.Equal([new ValueCount("gold", 2), new ValueCount("bronze", 1), new ValueCount("silver", 1)], segment.TopValues);
        Assert.Null(segment.Mean);
        Assert.Equal(4, stats["ts"].Count);
    }

    [Fact]
    public void Only_the_most_frequent_strings_are_kept_and_no_records_give_empty_statistics()
    {
        var records = Enumerable.Range(0, 20).Select(i => Record("r" + i, ("segment", "s" + (i % 8)))).ToList();

        var segment = FeatureStatistics.Compute(Group, records).Single(s => s.Feature.Name == "segment");

        Assert.Equal(8, segment.Distinct);
        Assert.Equal(FeatureStatistics.TopCount, segment.TopValues.Count);
        Assert.Equal(["s0", "s1", "s2", "s3", "s4"], segment.TopValues.Select(v => v.Value));
        Assert.Equal([3, 3, 3, 3, 2], segment.TopValues.Select(v => v.Count));

        var empty = FeatureStatistics.Compute(Group, []).Single(s => s.Feature.Name == "amount");
        Assert.Equal((0, 0), (empty.Count, empty.Missing));
        Assert.Null(empty.Mean);
    }

    [Theory]
    [InlineData(-5, "in the future")]
    [InlineData(42, "42 s ago")]
    [InlineData(303, "5 min 3 s ago")]
    [InlineData(7800, "2 h 10 min ago")]
    [InlineData(273600, "3 d 4 h ago")]
    public void Ages_read_in_their_two_largest_units(int seconds, string expected) =>
        Assert.Equal(expected, Format.Ago(TimeSpan.FromSeconds(seconds)));

    private static FeatureDefinition Feature(string name, FeatureType type) =>
        new() { Name = name, Type = type, CreationTime = Created, LastModifiedTime = Created };

    private static OnlineRecord Record(string id, params (string Name, string Value)[] values) => new()
    {
        GroupKey = "orders",
        RecordId = id,
        EventTime = Created,
        Values = [KeyValuePair.Create("id", id), KeyValuePair.Create("ts", "1767323045"), .. values.Select(v => KeyValuePair.Create(v.Name, v.Value))],
    };
}
