using Kiln.Core.Tracking;

namespace Kiln.Studio.Data;

/// <summary>A metric's step history as a chart draws it: (step, value) pairs, at most <see cref="MaxPoints"/> of them.</summary>
public sealed record MetricSeries(string RunId, string RunName, string Key, IReadOnlyList<(long Step, double Value)> Points, int OriginalCount)
{
    public const int MaxPoints = 2000;

    /// <summary>Loads a run's full history of one metric and downsamples it on the server, so a 100,000-point series stays light in the browser.</summary>
    public static async Task<MetricSeries> LoadAsync(TrackingService tracking, Run run, string key, CancellationToken ct = default)
    {
        var history = (await tracking.GetMetricHistoryAsync(run.Info.RunId, key, null, null, ct)).Items;
        var points = history.OrderBy(m => m.Step).ThenBy(m => m.Timestamp).Select(m => (m.Step, m.Value)).ToList();
        return new MetricSeries(run.Info.RunId, run.Info.RunName, key, Downsample(points, MaxPoints), points.Count);
    }

    /// <summary>
    /// Keeps the first and last point and, per bucket of consecutive points, its lowest and highest value (in step
    /// order), so spikes survive downsampling — an average would hide them.
    /// </summary>
    public static IReadOnlyList<(long Step, double Value)> Downsample(IReadOnlyList<(long Step, double Value)> points, int maxPoints)
    {
        if (points.Count <= maxPoints)
        {
            return points;
        }

        var buckets = (maxPoints - 2) / 2;
        var result = new List<(long Step, double Value)>(maxPoints) { points[0] };
        var inner = points.Count - 2;
        for (var bucket = 0; bucket < buckets; bucket++)
        {
            var start = 1 + (int)((long)bucket * inner / buckets);
            var end = 1 + (int)((long)(bucket + 1) * inner / buckets);
            if (start >= end)
            {
                continue;
            }

            var low = start;
            var high = start;
            for (var i = start + 1; i < end; i++)
            {
                if (points[i].Value < points[low].Value)
                {
                    low = i;
                }

                if (points[i].Value > points[high].Value)
                {
                    high = i;
                }
            }

            result.Add(points[Math.Min(low, high)]);
            if (low != high)
            {
                result.Add(points[Math.Max(low, high)]);
            }
        }

        result.Add(points[^1]);
        return result;
    }
}
