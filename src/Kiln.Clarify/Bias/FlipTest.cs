namespace Kiln.Clarify.Bias;

/// <summary>
/// Flip Test: a k-nearest-neighbour model fit on group a's features and predicted labels predicts each member of d;
/// FT = (d predicted positive by the model but negative by the neighbours − the reverse) / nd. k is 5, or 1 when a
/// has at most 9 members (as smclarify). Distance ties are broken by row order.
/// </summary>
public static class FlipTest
{
    public static double FT(bool[] facet, bool[] predicted, double[][]? features, string? featureError)
    {
        if (MetricMath.Count(facet, true) == 0)
        {
            throw new BiasMetricException("Facet set is empty");
        }
        if (MetricMath.Count(facet, false) == 0)
        {
            throw new BiasMetricException("Negated Facet set is empty");
        }
        if (features is null)
        {
            throw new BiasMetricException(featureError ?? "FlipTest has no features");
        }
        var a = Enumerable.Range(0, facet.Length).Where(i => !facet[i]).ToArray();
        var k = Math.Min(a.Length > 9 ? 5 : 1, a.Length);
        var flippedUp = 0;
        var flippedDown = 0;
        var nd = 0;
        var distances = new (double Distance, int Row)[a.Length];
        for (var i = 0; i < facet.Length; i++)
        {
            if (!facet[i])
            {
                continue;
            }
            nd++;
            for (var j = 0; j < a.Length; j++)
            {
                distances[j] = (SquaredDistance(features[i], features[a[j]]), j);
            }
            Array.Sort(distances);
            var votes = 0;
            for (var j = 0; j < k; j++)
            {
                votes += predicted[a[distances[j].Row]] ? 1 : 0;
            }
            // A tied vote goes to the first class, negative, as scikit-learn's mode does.
            var neighbours = votes * 2 > k;
            if (predicted[i] && !neighbours)
            {
                flippedUp++;
            }
            else if (!predicted[i] && neighbours)
            {
                flippedDown++;
            }
        }
        return MetricMath.Divide(flippedUp - flippedDown, nd);
    }

    private static double SquaredDistance(double[] x, double[] y)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var d = x[i] - y[i];
            sum += d * d;
        }
        return sum;
    }
}
