using System.Globalization;
using Kiln.Core.Tuning;

namespace Kiln.Tuning.Search;

/// <summary>
/// The searched hyperparameters as a unit cube: each numeric range maps to [0, 1] by its scaling (so a log-scaled
/// learning rate is searched evenly in its exponent), each categorical range to the index of its value. Points
/// are arrays with one coordinate per range; strategies search points, trials get the values as strings.
/// </summary>
internal sealed class ParameterSpace(IReadOnlyList<ParameterRange> ranges)
{
    public IReadOnlyList<ParameterRange> Ranges { get; } = ranges;

    public int Dimensions => Ranges.Count;

    public bool IsCategorical(int dimension) => Ranges[dimension].Kind == ParameterKind.Categorical;

    public int Categories(int dimension) => Ranges[dimension].Values!.Count;

    /// <summary>The hyperparameter values of a point, as a training job takes them.</summary>
    public Dictionary<string, string> Values(double[] point)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var d = 0; d < Ranges.Count; d++)
        {
            var range = Ranges[d];
            values[range.Name] = range.Kind switch
            {
                ParameterKind.Categorical => range.Values![(int)Math.Clamp(point[d], 0, range.Values.Count - 1)],
                ParameterKind.Integer => ((long)Math.Round(FromUnit(range, point[d]))).ToString(CultureInfo.InvariantCulture),
                _ => FromUnit(range, point[d]).ToString("R", CultureInfo.InvariantCulture),
            };
        }

        return values;
    }

    /// <summary>The point of a trial's values (for warm starts and restarts); null when a value is outside this space.</summary>
    public double[]? Point(IReadOnlyDictionary<string, string> values)
    {
        var point = new double[Ranges.Count];
        for (var d = 0; d < Ranges.Count; d++)
        {
            var range = Ranges[d];
            if (!values.TryGetValue(range.Name, out var text))
            {
                return null;
            }

            if (range.Kind == ParameterKind.Categorical)
            {
                var index = range.Values!.ToList().IndexOf(text);
                if (index < 0)
                {
                    return null;
                }

                point[d] = index;
                continue;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < range.Min || value > range.Max)
            {
                return null;
            }

            point[d] = ToUnit(range, value);
        }

        return point;
    }

    /// <summary>The scaling Auto picks: logarithmic for a positive range spanning two orders of magnitude or more.</summary>
    public static ScalingType Effective(ParameterRange range) => range.Scaling switch
    {
        ScalingType.Auto when range.Min > 0 && range.Max / range.Min >= 100 => ScalingType.Logarithmic,
        ScalingType.Auto => ScalingType.Linear,
        var scaling => scaling,
    };

    public static double FromUnit(ParameterRange range, double unit)
    {
        unit = Math.Clamp(unit, 0, 1);
        var value = Effective(range) switch
        {
            ScalingType.Logarithmic => Math.Exp(Math.Log(range.Min) + (unit * (Math.Log(range.Max) - Math.Log(range.Min)))),
            ScalingType.ReverseLogarithmic => 1 - Math.Exp(Math.Log(1 - range.Min) + (unit * (Math.Log(1 - range.Max) - Math.Log(1 - range.Min)))),
            _ => range.Min + (unit * (range.Max - range.Min)),
        };
        return Math.Clamp(value, range.Min, range.Max);
    }

    public static double ToUnit(ParameterRange range, double value)
    {
        if (range.Max == range.Min)
        {
            return 0.5;
        }

        return Math.Clamp(Effective(range) switch
        {
            ScalingType.Logarithmic => (Math.Log(value) - Math.Log(range.Min)) / (Math.Log(range.Max) - Math.Log(range.Min)),
            ScalingType.ReverseLogarithmic => (Math.Log(1 - value) - Math.Log(1 - range.Min)) / (Math.Log(1 - range.Max) - Math.Log(1 - range.Min)),
            _ => (value - range.Min) / (range.Max - range.Min),
        }, 0, 1);
    }
}
