using System.Globalization;
using System.Text.Json.Nodes;
using Kiln.Core.Common;

namespace Kiln.Core.Serving;

/// <summary>
/// The JSONPath subset batch transform's DataProcessing filters use: <c>$</c>, member access (<c>$.features</c>,
/// <c>$['a b']</c>), indexes (<c>$[0]</c>, <c>$[-1]</c>), index lists (<c>$[0,2,5]</c>) and slices (<c>$[1:]</c>,
/// <c>$[:-1]</c>, <c>$[2:5]</c>). A CSV record is the array of its fields.
/// </summary>
public sealed class JsonPathFilter
{
    private readonly IReadOnlyList<Segment> _segments;

    private JsonPathFilter(string text, IReadOnlyList<Segment> segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public static JsonPathFilter Parse(string text)
    {
        var path = text.Trim();
        if (!path.StartsWith('$'))
        {
            throw Invalid(text, 0, "a JSONPath starts with $");
        }

        var segments = new List<Segment>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var start = ++i;
                while (i < path.Length && (char.IsLetterOrDigit(path[i]) || path[i] is '_' or '-'))
                {
                    i++;
                }

                if (i == start)
                {
                    throw Invalid(text, start, "a member name is expected after '.'");
                }

                segments.Add(new Member(path[start..i]));
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0)
                {
                    throw Invalid(text, i, "'[' is not closed");
                }

                segments.Add(Bracket(text, path[(i + 1)..close].Trim(), i));
                i = close + 1;
            }
            else
            {
                throw Invalid(text, i, $"unexpected '{path[i]}'");
            }
        }

        return new JsonPathFilter(text, segments);
    }

    /// <summary>The part of <paramref name="node"/> the path selects; throws when it selects nothing.</summary>
    public JsonNode? Apply(JsonNode? node)
    {
        foreach (var segment in _segments)
        {
            node = segment.Apply(node, Text);
        }

        return node;
    }

    private static Segment Bracket(string text, string inside, int position)
    {
        if (inside.Length >= 2 && inside[0] is '\'' or '"' && inside[^1] == inside[0])
        {
            return new Member(inside[1..^1]);
        }

        if (inside.Contains(':', StringComparison.Ordinal))
        {
            var parts = inside.Split(':');
            if (parts.Length != 2)
            {
                throw Invalid(text, position, $"'{inside}' is not a slice (start:end)");
            }

            return new Slice(OptionalIndex(text, parts[0], position), OptionalIndex(text, parts[1], position));
        }

        var indexes = inside.Split(',').Select(part => OptionalIndex(text, part, position) ?? throw Invalid(text, position, "an empty index")).ToList();
        return indexes.Count == 1 ? new Index(indexes[0]) : new Indexes(indexes);
    }

    private static int? OptionalIndex(string text, string part, int position)
    {
        part = part.Trim();
        if (part.Length == 0)
        {
            return null;
        }

        return int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw Invalid(text, position, $"'{part}' is not an index");
    }

    private static KilnException Invalid(string text, int position, string why) =>
        KilnException.InvalidParameter($"The JSONPath '{text}' is not valid at position {position + 1}: {why}.");

    private static JsonArray Array(JsonNode? node, string path) =>
        node as JsonArray ?? throw new InvalidDataException($"The filter {path} selects by position, but the record is not a list.");

    private static int Resolve(int index, int count, string path)
    {
        var resolved = index < 0 ? count + index : index;
        return resolved >= 0 && resolved < count
            ? resolved
            : throw new InvalidDataException($"The filter {path} asks for index {index}, but the record has {count} values.");
    }

    private abstract record Segment
    {
        public abstract JsonNode? Apply(JsonNode? node, string path);
    }

    private sealed record Member(string Name) : Segment
    {
        public override JsonNode? Apply(JsonNode? node, string path) =>
            node is JsonObject obj && obj.TryGetPropertyValue(Name, out var value)
                ? value?.DeepClone()
                : throw new InvalidDataException($"The filter {path} asks for '{Name}', which the record does not have.");
    }

    private sealed record Index(int Position) : Segment
    {
        public override JsonNode? Apply(JsonNode? node, string path)
        {
            var array = Array(node, path);
            return array[Resolve(Position, array.Count, path)]?.DeepClone();
        }
    }

    private sealed record Indexes(IReadOnlyList<int> Positions) : Segment
    {
        public override JsonNode? Apply(JsonNode? node, string path)
        {
            var array = Array(node, path);
            return new JsonArray(Positions.Select(position => array[Resolve(position, array.Count, path)]?.DeepClone()).ToArray());
        }
    }

    private sealed record Slice(int? Start, int? End) : Segment
    {
        public override JsonNode? Apply(JsonNode? node, string path)
        {
            var array = Array(node, path);
            var count = array.Count;
            var start = Math.Clamp(Start is { } s ? (s < 0 ? count + s : s) : 0, 0, count);
            var end = Math.Clamp(End is { } e ? (e < 0 ? count + e : e) : count, 0, count);
            return new JsonArray(Enumerable.Range(start, Math.Max(0, end - start)).Select(i => array[i]?.DeepClone()).ToArray());
        }
    }
}
