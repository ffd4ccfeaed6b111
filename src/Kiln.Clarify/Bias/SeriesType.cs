using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Bias;

public enum SeriesType
{
    Categorical,
    Continuous,
}

/// <summary>Clarify's rule for whether a facet or label column holds categories or a continuous quantity.</summary>
public static class SeriesTypes
{
    /// <summary>Integer columns with at least this fraction of distinct values are treated as continuous.</summary>
    public const double UniquenessThreshold = 0.05;

    public static SeriesType Of(DataColumn column, IReadOnlyList<ConfigValue>? values)
    {
        if (values is { Count: > 1 })
        {
            return SeriesType.Categorical;
        }
        var uniqueness = column.Present == 0 ? 0 : (double)column.Distinct / column.Present;
        return column.Kind switch
        {
            ColumnKind.Float => SeriesType.Continuous,
            ColumnKind.Integer => uniqueness >= UniquenessThreshold ? SeriesType.Continuous : SeriesType.Categorical,
            _ => column.TextHoldsIntegers && uniqueness >= UniquenessThreshold ? SeriesType.Continuous : SeriesType.Categorical,
        };
    }

    /// <summary>The numeric threshold of a continuous facet or label; a string threshold is read as a number, as Clarify does.</summary>
    public static ConfigValue Threshold(IReadOnlyList<ConfigValue>? values, string what)
    {
        if (values is not { Count: > 0 })
        {
            throw new ClarifyValidationException($"{what} is continuous, so value_or_threshold must give one numeric threshold.");
        }
        var value = values[0];
        if (value.IsNumeric)
        {
            return value;
        }
        return double.TryParse(value.Text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            ? ConfigValue.Float(parsed)
            : throw new ClarifyValidationException($"{what} is continuous: the value provided must be a single numeric threshold, not '{value.Text}'.");
    }
}
