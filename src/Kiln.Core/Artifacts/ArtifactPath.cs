using Kiln.Core.Common;

namespace Kiln.Core.Artifacts;

/// <summary>
/// The one gate every user-supplied artifact path passes: relative, forward slashes, no <c>..</c>,
/// no empty or dot segments, no control characters. What comes out can be joined to a root safely.
/// </summary>
public static class ArtifactPath
{
    /// <summary>Returns the normalized path ("" for the root) or throws INVALID_PARAMETER_VALUE.</summary>
    public static string Normalize(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "";
        }

        var decoded = path;
        if (decoded.Contains('%', StringComparison.Ordinal))
        {
            // A path that only escapes once it is percent-decoded is still an escape.
            decoded = Uri.UnescapeDataString(decoded);
        }

        if (decoded.StartsWith('/') || decoded.StartsWith('\\') || decoded.Contains('\\', StringComparison.Ordinal)
            || (decoded.Length >= 2 && decoded[1] == ':') || decoded.Contains("://", StringComparison.Ordinal)
            || decoded.Any(char.IsControl))
        {
            throw Invalid(path);
        }

        var segments = decoded.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(segment => segment is "." or ".."))
        {
            throw Invalid(path);
        }

        return string.Join('/', segments);
    }

    /// <summary>Joins normalized paths with '/'; empty parts are skipped.</summary>
    public static string Combine(params string[] parts) =>
        string.Join('/', parts.Where(part => part.Length > 0));

    private static KilnException Invalid(string path) => KilnException.InvalidParameter($"Invalid path: {path}");
}
