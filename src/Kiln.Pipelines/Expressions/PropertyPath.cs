using System.Globalization;
using Kiln.Core.Pipelines;

namespace Kiln.Pipelines.Expressions;

/// <summary>Parses the dotted paths of <c>Get</c> expressions: <c>Steps.Train.FinalMetricDataList['auc'].Value</c>.</summary>
public static class PropertyPath
{
    public static IReadOnlyList<PropertyPathSegment> Parse(string path)
    {
        if (path.Length == 0)
        {
            throw new FormatException("A property reference ('Get') cannot be empty; it names a parameter, an execution variable or a step's property.");
        }

        var segments = new List<PropertyPathSegment>();
        var i = 0;
        while (i < path.Length)
        {
            var start = i;
            while (i < path.Length && path[i] != '.' && path[i] != '[')
            {
                i++;
            }

            var member = path[start..i];
            if (member.Length == 0)
            {
                throw new FormatException($"'{path}' has an empty name at position {start}.");
            }

            var indexes = new List<PropertyIndex>();
            while (i < path.Length && path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0)
                {
                    throw new FormatException($"'{path}' has a '[' without its ']'.");
                }

                var inside = path[(i + 1)..close].Trim();
                if (inside.Length >= 2 && (inside[0] == '\'' || inside[0] == '"') && inside[^1] == inside[0])
                {
                    indexes.Add(new PropertyIndex(null, inside[1..^1]));
                }
                else if (int.TryParse(inside, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                {
                    indexes.Add(new PropertyIndex(position, null));
                }
                else
                {
                    throw new FormatException($"'{path}': [{inside}] is neither a position ([0]) nor a quoted key (['name']).");
                }

                i = close + 1;
            }

            segments.Add(new PropertyPathSegment(member, indexes));
            if (i < path.Length)
            {
                if (path[i] != '.')
                {
                    throw new FormatException($"'{path}' has '{path[i]}' where a '.' belongs.");
                }

                i++;
                if (i == path.Length)
                {
                    throw new FormatException($"'{path}' ends with '.'.");
                }
            }
        }

        return segments;
    }

    public static string Format(IEnumerable<PropertyPathSegment> segments) =>
        string.Join('.', segments.Select(segment => segment.Member + string.Concat(segment.Indexes.Select(index => index.Key is { } key ? $"['{key}']" : $"[{index.Position}]"))));
}
