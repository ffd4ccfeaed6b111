using System.Globalization;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Bias;

/// <summary>
/// Which rows hold one of the given category values. Like Clarify, values are first compared as given (so 1 never
/// equals "1"); only when nothing matches are they converted to the column's type and compared again.
/// </summary>
public static class CategoryMatcher
{
    public static bool[] Match(DataColumn column, IReadOnlyList<ConfigValue> values)
    {
        var strict = Compare(column, values, converted: false);
        return strict.Any(b => b) ? strict : Compare(column, values, converted: true);
    }

    private static bool[] Compare(DataColumn column, IReadOnlyList<ConfigValue> values, bool converted)
    {
        var result = new bool[column.Count];
        if (column.IsNumeric)
        {
            var numbers = values.Select(v => converted ? Convert(v, column.Kind) : v.IsNumeric ? v.Number : double.NaN).ToArray();
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = !double.IsNaN(column.Numbers[i]) && numbers.Contains(column.Numbers[i]);
            }
        }
        else
        {
            var texts = values.Where(v => converted || !v.IsNumeric).Select(v => v.Text).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = column.Cells[i] is { } cell && texts.Contains(cell);
            }
        }
        return result;
    }

    private static double Convert(ConfigValue value, ColumnKind kind)
    {
        if (value.IsNumeric)
        {
            return kind == ColumnKind.Integer ? Math.Truncate(value.Number) : value.Number;
        }
        return double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new BiasMetricException(
                "'label' has not positive elements. Double-check if 'label' and 'positive_label_values' have correct data-types or values.");
    }
}
