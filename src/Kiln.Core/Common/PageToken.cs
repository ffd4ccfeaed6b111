using System.Text;
using System.Text.Json;

namespace Kiln.Core.Common;

/// <summary>
/// Offset-based page tokens, encoded as base64 of <c>{"offset": n}</c> the way MLflow does,
/// so tokens stay opaque to clients but are easy to inspect when debugging.
/// </summary>
public static class PageToken
{
    public static string Encode(long offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"offset\": {offset}}}"));

    public static long Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var bytes = Convert.FromBase64String(token);
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("offset", out var offset)
                && offset.TryGetInt64(out var value)
                && value >= 0)
            {
                return value;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        throw KilnException.InvalidParameter($"Invalid page token, could not base64-decode: '{token}'");
    }

    /// <summary>One page of a list already in memory, from the offset the token holds.</summary>
    public static Page<T> Slice<T>(IReadOnlyList<T> items, string? token, int maxResults)
    {
        var offset = Decode(token);
        var page = items.Skip((int)Math.Min(offset, int.MaxValue)).Take(maxResults).ToList();
        return new Page<T>(page, offset + maxResults < items.Count ? Encode(offset + maxResults) : null);
    }
}
