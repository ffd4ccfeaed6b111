using Kiln.Core.Common;

namespace Kiln.Core.Registry;

/// <summary>
/// A parsed <c>models:/</c> URI as MLflow reads it: <c>models:/name/3</c> (a version),
/// <c>models:/name/Production</c> (the newest version in a stage), <c>models:/name/latest</c>
/// (the newest version) or <c>models:/name@alias</c>.
/// </summary>
public sealed record ModelUri(string Name, long? Version, string? Stage, string? Alias)
{
    public const string Scheme = "models:";

    public static bool IsModelUri(string uri) => uri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="uri"/> or throws INVALID_PARAMETER_VALUE with MLflow's message.</summary>
    public static ModelUri Parse(string uri)
    {
        if (!IsModelUri(uri))
        {
            throw Improper(uri);
        }

        var path = uri[Scheme.Length..];
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            // models://profile/name/1: the authority names a remote registry, the path is what counts.
            var slash = path.IndexOf('/', 2);
            path = slash < 0 ? "" : path[slash..];
        }

        if (!path.StartsWith('/') || path.Length <= 1)
        {
            throw Improper(uri);
        }

        var parts = path.TrimStart('/').Split('/');
        if (parts.Length > 2 || parts[0].Trim().Length == 0)
        {
            throw Improper(uri);
        }

        if (parts.Length == 2)
        {
            var suffix = parts[1];
            if (suffix.Trim().Length == 0)
            {
                throw Improper(uri);
            }

            if (suffix.All(char.IsAsciiDigit))
            {
                return long.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
                    ? new ModelUri(parts[0], version, null, null)
                    : throw Improper(uri);
            }

            return string.Equals(suffix, "latest", StringComparison.OrdinalIgnoreCase)
                ? new ModelUri(parts[0], null, null, null)
                : new ModelUri(parts[0], null, suffix, null);
        }

        var at = parts[0].LastIndexOf('@');
        if (at < 0 || parts[0][(at + 1)..].Trim().Length == 0)
        {
            throw Improper(uri);
        }

        return new ModelUri(parts[0][..at], null, null, parts[0][(at + 1)..]);
    }

    private static KilnException Improper(string uri) => KilnException.InvalidParameter(
        $"Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.");
}
