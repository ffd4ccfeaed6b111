using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Bias;

/// <summary>
/// The sensitive groups of one facet: the given categories (one group, values joined by ","), every category on its
/// own when none are given, or the rows above a threshold for a continuous facet.
/// </summary>
public static class FacetSelection
{
    /// <summary>Each group's value_or_threshold text and a function giving its rows (it may fail, as one metric would).</summary>
    public static IReadOnlyList<(string ValueOrThreshold, Func<bool[]> Rows)> Groups(DataColumn facet, IReadOnlyList<ConfigValue>? values)
    {
        if (SeriesTypes.Of(facet, values) == SeriesType.Continuous)
        {
            if (values is not { Count: > 0 })
            {
                throw new ClarifyValidationException(
                    $"Facet '{facet.Name}' is continuous: value_or_threshold must give a threshold.");
            }
            var interval = ThresholdInterval.Create(SeriesTypes.Threshold(values, $"Facet '{facet.Name}'"), facet.Max(), facet.Kind == ColumnKind.Integer);
            return [(interval.Text, () => interval.Select(facet.Numbers))];
        }
        if (values is not null)
        {
            return [(string.Join(",", values.Select(v => v.Text)), () => CategoryMatcher.Match(facet, values))];
        }
        var groups = new List<(string, Func<bool[]>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var row = 0; row < facet.Count; row++)
        {
            if (facet.IsMissing(row))
            {
                continue;
            }
            var key = facet.Display(row);
            if (seen.Add(key))
            {
                var r = row;
                groups.Add((key, () => SameAs(facet, r)));
            }
        }
        return groups;
    }

    private static bool[] SameAs(DataColumn facet, int row)
    {
        var result = new bool[facet.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = facet.IsNumeric
                ? facet.Numbers[i] == facet.Numbers[row]
                : facet.Cells[i] == facet.Cells[row];
        }
        return result;
    }
}
