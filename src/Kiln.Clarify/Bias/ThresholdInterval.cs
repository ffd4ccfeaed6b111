using Kiln.Clarify.Config;

namespace Kiln.Clarify.Bias;

/// <summary>
/// The (threshold, max] interval Clarify builds for a continuous facet or label: values above the threshold, up to
/// the column's maximum, are the sensitive group / positive label. When the threshold equals the maximum there is
/// no interval and nothing is selected.
/// </summary>
public sealed record ThresholdInterval(double Lower, double Upper, bool Empty, string Text)
{
    public static ThresholdInterval Create(ConfigValue threshold, double max, bool integerColumn)
    {
        var breaks = new List<double> { threshold.Number };
        if (Math.Abs(max) != threshold.Number)
        {
            breaks.Add(max);
        }
        breaks.Sort();
        var integers = integerColumn && threshold.Kind == ConfigValueKind.Integer;
        string Format(double v) => integers ? PythonFormat.Integer(v) : PythonFormat.Float(v);
        return breaks.Count < 2
            ? new ThresholdInterval(threshold.Number, threshold.Number, true, "")
            : new ThresholdInterval(breaks[0], breaks[1], false, $"({Format(breaks[0])}, {Format(breaks[1])}]");
    }

    public bool Contains(double value) => !Empty && value > Lower && value <= Upper;

    public bool[] Select(double[] values) => [.. values.Select(Contains)];
}
