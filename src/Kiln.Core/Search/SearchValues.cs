using System.Globalization;
using System.Text.Json;

namespace Kiln.Core.Search;

/// <summary>
/// How property search compares one stored value with a filter's text: numbers and times (ISO 8601, as epoch
/// seconds) by value when both sides are one, everything else as ordinal text. Stores that evaluate in their
/// query language compare exactly this way (the SQLite store calls these functions from SQL).
/// </summary>
public static class SearchValues
{
    /// <summary>Negative, zero or positive as <paramref name="value"/> orders before, with or after <paramref name="filter"/>.</summary>
    public static int Compare(JsonElement value, string filter) =>
        Number(value) is { } a && Number(filter) is { } b ? a.CompareTo(b) : string.Compare(Text(value), filter, StringComparison.Ordinal);

    public static bool Contains(JsonElement value, string filter) => Text(value).Contains(filter, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="value"/> equals one of the comma-separated items of <paramref name="list"/>.</summary>
    public static bool In(JsonElement value, string list) => Items(list).Any(item => Compare(value, item) == 0);

    public static IEnumerable<string> Items(string list) => list.Split(',').Select(item => item.Trim());

    public static bool IsValue(JsonElement value) => value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    public static double? Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => Number(value.GetString()!),
        _ => null,
    };

    /// <summary>Numbers, and times (ISO 8601) as epoch seconds, the way timestamps travel.</summary>
    public static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && text.Contains('-', StringComparison.Ordinal) ? time.ToUnixTimeMilliseconds() / 1000.0
        : null;

    public static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    /// <summary>Orders sort keys: numbers by value, otherwise as text, a missing key first.</summary>
    public static int CompareKeys(JsonElement? a, JsonElement? b)
    {
        var (x, y) = (a is { } left ? Number(left) : null, b is { } right ? Number(right) : null);
        return x is { } m && y is { } n ? m.CompareTo(n) : string.Compare(a is { } l ? Text(l) : null, b is { } r ? Text(r) : null, StringComparison.Ordinal);
    }
}
