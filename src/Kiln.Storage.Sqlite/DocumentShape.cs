namespace Kiln.Storage.Sqlite;

/// <summary>
/// What a search path walks through in a stored JSON document: which members are string dictionaries (their
/// keys may hold dots) and which are lists, with the member that names a list's elements (<c>Name</c>, <c>Key</c>),
/// if any. A path through anything else is a chain of object members.
/// </summary>
internal sealed class DocumentShape
{
    private readonly HashSet<string> _dictionaries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _lists = new(StringComparer.Ordinal);

    public DocumentShape Dictionary(string path)
    {
        _dictionaries.Add(path);
        return this;
    }

    public DocumentShape List(string path, string? namedBy = null)
    {
        _lists[path] = namedBy;
        return this;
    }

    public bool IsDictionary(string path) => _dictionaries.Contains(path);

    public bool IsList(string path, out string? namedBy) => _lists.TryGetValue(path, out namedBy);

    /// <summary>The shape of one element of the list at <paramref name="path"/>.</summary>
    public DocumentShape Under(string path)
    {
        var prefix = path + ".";
        var shape = new DocumentShape();
        foreach (var dictionary in _dictionaries.Where(d => d.StartsWith(prefix, StringComparison.Ordinal)))
        {
            shape.Dictionary(dictionary[prefix.Length..]);
        }

        foreach (var (list, namedBy) in _lists.Where(l => l.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            shape.List(list[prefix.Length..], namedBy);
        }

        return shape;
    }
}
