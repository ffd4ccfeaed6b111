using Kiln.Clarify.Config;

namespace Kiln.Clarify.Explainability;

/// <summary>Global SHAP values: one number per feature summarising its local values with agg_method.</summary>
public static class GlobalShap
{
    public static double[] Aggregate(double[][] local, ShapAggregation method)
    {
        var features = local.Length == 0 ? 0 : local[0].Length;
        var result = new double[features];
        for (var j = 0; j < features; j++)
        {
            var column = local.Select(row => row[j]).ToArray();
            result[j] = method switch
            {
                ShapAggregation.MeanAbs => column.Average(Math.Abs),
                ShapAggregation.MeanSq => column.Average(v => v * v),
                _ => Median(column),
            };
        }
        return result;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
