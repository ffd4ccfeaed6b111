using Kiln.Studio.Data;

namespace Kiln.Studio.Tests;

public sealed class MetricSeriesTests
{
    [Fact]
    public void A_long_series_is_cut_to_the_limit_and_keeps_its_ends_and_spikes()
    {
        var points = Enumerable.Range(0, 100_000).Select(step => ((long)step, step == 54_321 ? 1e6 : Math.Sin(step / 100.0))).ToList();

        var drawn = MetricSeries.Downsample(points, MetricSeries.MaxPoints);

        Assert.InRange(drawn.Count, MetricSeries.MaxPoints / 2, MetricSeries.MaxPoints);
        Assert.Equal(points[0], drawn[0]);
        Assert.Equal(points[^1], drawn[^1]);
        Assert.Contains(((long)54_321, 1e6), drawn);
        Assert.Equal(drawn.Select(p => p.Step).Order(), drawn.Select(p => p.Step));
    }

    [Fact]
    public void A_short_series_is_kept_whole() =>
        Assert.Equal(3, MetricSeries.Downsample([(0, 1), (1, 2), (2, 3)], MetricSeries.MaxPoints).Count);
}
