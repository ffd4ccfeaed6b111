using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Bias;

/// <summary>Which rows have a positive (observed or predicted) label, from label_values_or_threshold.</summary>
public sealed record LabelSelection(bool[] Positive, string ValueOrThreshold)
{
    public static LabelSelection Observed(DataColumn label, IReadOnlyList<ConfigValue> values)
    {
        if (SeriesTypes.Of(label, values) == SeriesType.Continuous)
        {
            var interval = ThresholdInterval.Create(SeriesTypes.Threshold(values, $"Label '{label.Name}'"), label.Max(), label.Kind == ColumnKind.Integer);
            return new LabelSelection(interval.Select(label.Numbers), interval.Text);
        }
        return new LabelSelection(Categories(label, values), string.Join(",", values.Select(v => v.Text)));
    }

    /// <summary>
    /// Predicted labels must be of the same type as the labels; a continuous threshold interval then spans both
    /// columns' maximum, as Clarify does.
    /// </summary>
    public static bool[] Predicted(DataColumn predicted, DataColumn label, IReadOnlyList<ConfigValue> values)
    {
        var labelType = SeriesTypes.Of(label, values);
        if (SeriesTypes.Of(predicted, values) != labelType)
        {
            throw new ClarifyValidationException(
                $"Predicted label column '{predicted.Name}' is {SeriesTypes.Of(predicted, values).ToString().ToLowerInvariant()} " +
                $"but label column '{label.Name}' is {labelType.ToString().ToLowerInvariant()}.");
        }
        bool[] positive;
        if (labelType == SeriesType.Continuous)
        {
            var cast = label.Kind == ColumnKind.Integer ? predicted.Numbers.Select(Math.Truncate).ToArray() : predicted.Numbers;
            var max = Math.Max(label.Max(), cast.Where(n => !double.IsNaN(n)).DefaultIfEmpty(double.NaN).Max());
            var interval = ThresholdInterval.Create(SeriesTypes.Threshold(values, $"Label '{label.Name}'"), max, label.Kind == ColumnKind.Integer);
            positive = interval.Select(cast);
        }
        else
        {
            positive = Categories(predicted, values);
        }
        if (!positive.Any(p => p))
        {
            throw new ClarifyValidationException(
                $"No predicted label matches label_values_or_threshold: every prediction in '{predicted.Name}' is negative.");
        }
        return positive;
    }

    private static bool[] Categories(DataColumn column, IReadOnlyList<ConfigValue> values)
    {
        try
        {
            return CategoryMatcher.Match(column, values);
        }
        catch (BiasMetricException e)
        {
            throw new ClarifyValidationException($"Column '{column.Name}': {e.Message}");
        }
    }
}
