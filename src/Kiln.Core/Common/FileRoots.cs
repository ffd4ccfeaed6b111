namespace Kiln.Core.Common;

/// <summary>
/// Which folders on this machine the <c>file://</c> URIs that users send (training channels, processing inputs and
/// outputs, model data, transform data, output paths, experiment artifact locations) may name. Either every path
/// (<see cref="AllowAll"/>, today's embedded default) or only paths under configured roots
/// (<c>kiln server --allow-file-root DIR</c>). Paths are canonicalised first (absolute, <c>..</c> applied, symbolic
/// links followed where they exist), so neither <c>..</c> nor a link inside a root leads out of it. Kiln's own data
/// folder holds its database: with roots, a <c>file://</c> URI never reaches it, even when a root contains it. Kiln
/// reaches its own folders through <c>s3://</c> and <c>mlflow-artifacts:</c>, which this policy does not govern.
/// </summary>
public sealed class FileRoots
{
    private const int MaxLinkHops = 40;

    private readonly IReadOnlyList<string>? _roots;
    private readonly IReadOnlyList<string> _kilnFolders;

    private FileRoots(IReadOnlyList<string>? roots, IReadOnlyList<string> kilnFolders)
    {
        _roots = roots;
        _kilnFolders = kilnFolders;
    }

    /// <summary>Every local path is allowed: the embedded default without authentication.</summary>
    public static FileRoots AllowAll { get; } = new(null, []);

    /// <summary>Only paths under <paramref name="roots"/> (none at all for an empty list), never inside <paramref name="kilnFolders"/>.</summary>
    public static FileRoots Only(IEnumerable<string> roots, IEnumerable<string> kilnFolders) =>
        new(roots.Select(Canonicalize).Distinct(StringComparer.Ordinal).ToList(), kilnFolders.Select(Canonicalize).ToList());

    public bool AllowsAll => _roots is null;

    /// <summary>The canonical roots (empty when every path is allowed).</summary>
    public IReadOnlyList<string> Roots => _roots ?? [];

    /// <summary>Refuses a <c>file://</c> URI outside the roots (<see cref="ErrorCode.InvalidParameterValue"/>); other URIs pass.</summary>
    public void Check(string? uri, string place)
    {
        if (uri is not null && IsFileUri(uri))
        {
            LocalPath(uri, place);
        }
    }

    /// <summary>
    /// The local path a <c>file://</c> URI names, to read or write: with roots, its canonical form after checking it
    /// is under one; otherwise the path as written.
    /// </summary>
    public string LocalPath(string fileUri, string place = "The file URI")
    {
        string path;
        try
        {
            path = Uri.UnescapeDataString(new Uri(fileUri).LocalPath);
        }
        catch (UriFormatException)
        {
            throw KilnException.InvalidParameter($"{place} '{fileUri}' is not a valid file:// URI.");
        }

        return _roots is null ? path : CheckedPath(path, $"{place} '{fileUri}'");
    }

    /// <summary>A path met while reading a folder a checked URI names (a link inside it may point anywhere): its canonical form, checked.</summary>
    public string CheckedPath(string path, string what)
    {
        if (_roots is null)
        {
            return path;
        }

        var canonical = Canonicalize(path);
        if (_kilnFolders.Any(folder => IsUnder(canonical, folder)))
        {
            throw KilnException.InvalidParameter($"{what} is inside Kiln's data folder, which file:// URIs may not reach.");
        }

        if (!_roots.Any(root => IsUnder(canonical, root)))
        {
            var allowed = _roots.Count == 0 ? "none are configured (kiln server --allow-file-root DIR)" : string.Join(", ", _roots);
            throw KilnException.InvalidParameter($"{what} resolves to {canonical}, which is outside the folders file:// URIs may name: {allowed}.");
        }

        return canonical;
    }

    public static bool IsFileUri(string uri) => uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The absolute path with <c>.</c> and <c>..</c> applied and every symbolic link on the way followed, as the
    /// operating system would open it (a <c>..</c> after a link climbs from the link's target). Parts that do not
    /// exist yet are kept as written.
    /// </summary>
    public static string Canonicalize(string path)
    {
        var pending = new List<string>(Parts(Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path)));
        var resolved = new List<string>();
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved.Append(part));
            if (new FileInfo(candidate).LinkTarget is not { } target)
            {
                resolved.Add(part);
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw KilnException.InvalidParameter($"Too many symbolic links while resolving {path}.");
            }

            if (Path.IsPathRooted(target))
            {
                resolved.Clear();
            }

            pending.InsertRange(0, Parts(target));
        }

        return "/" + string.Join('/', resolved);
    }

    private static IEnumerable<string> Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(part => part != ".");

    private static bool IsUnder(string path, string folder) =>
        folder == "/" || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
}
