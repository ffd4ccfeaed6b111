using Kiln.Monitoring.Sketches;

namespace Kiln.Monitoring.Tests;

public sealed class KllSketchTests
{
    [Fact]
    public void Rank_error_of_a_million_values_stays_within_half_a_percent()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 1_000_000).Select(_ => Data.Normal(random, 10, 3)).ToArray();
        var sketch = new KllSketch();
        foreach (var value in values)
        {
            sketch.Add(value);
        }

        Array.Sort(values);
        var view = sketch.Sorted();
        Assert.Equal(values.Length, sketch.Count);
        Assert.Equal(values.Length, view.Total);
        Assert.True(sketch.Levels.Sum(l => l.Length) < 10_000, "the sketch keeps a few thousand items, not the values");

        // KLL's rank error is O(1/k); at k = 2048 it is ~0.1 %, so 0.5 % fails only if the sketch is broken.
        var worst = 0.0;
        for (var q = 0.01; q < 1; q += 0.01)
        {
            var estimate = view.Quantile(q);
            var trueRank = UpperBound(values, estimate) / (double)values.Length;
            worst = Math.Max(worst, Math.Abs(trueRank - q));
        }

        Assert.True(worst < 0.005, $"worst rank error {worst}");
    }

    [Fact]
    public void Below_its_capacity_the_sketch_is_exact()
    {
        var sketch = new KllSketch();
        foreach (var value in new double[] { 5, 1, 4, 2, 3 })
        {
            sketch.Add(value);
        }

        var view = sketch.Sorted();
        Assert.Equal([1, 2, 3, 4, 5], view.Values.ToArray());
        Assert.Equal(3, view.Quantile(0.5));
        Assert.Equal(0.4, view.Cdf(2), 12);
        Assert.Equal(1, view.CountBelow(2));
    }

    [Fact]
    public void A_sketch_rebuilt_from_its_levels_and_a_merged_sketch_keep_the_distribution()
    {
        var random = new Random(5);
        var a = new KllSketch();
        var b = new KllSketch();
        for (var i = 0; i < 100_000; i++)
        {
            a.Add(random.NextDouble());
            b.Add(1 + random.NextDouble());
        }

        var rebuilt = KllSketch.FromLevels(a.K, a.C, a.Levels.Select(l => (IReadOnlyList<double>)l.ToArray()).ToList());
        Assert.Equal(a.Count, rebuilt.Count);
        Assert.Equal(a.Sorted().Quantile(0.3), rebuilt.Sorted().Quantile(0.3), 3);

        a.Merge(b);
        Assert.Equal(200_000, a.Count);
        Assert.InRange(a.Sorted().Quantile(0.5), 0.99, 1.01);
        Assert.InRange(a.Sorted().Quantile(0.75), 1.49, 1.51);
    }

    private static int UpperBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
