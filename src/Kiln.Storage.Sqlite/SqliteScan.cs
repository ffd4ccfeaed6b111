using System.Text;
using SQLitePCL;

namespace Kiln.Storage.Sqlite;

/// <summary>One row of a <see cref="SqliteSession.Scan"/>, read straight from SQLite's C API.</summary>
public readonly ref struct SqliteRow
{
    private readonly sqlite3_stmt _statement;
    private readonly StringPool _strings;

    internal SqliteRow(sqlite3_stmt statement, StringPool strings)
    {
        _statement = statement;
        _strings = strings;
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public double Double(int column) => raw.sqlite3_column_double(_statement, column);

    public string Text(int column) => _strings.Get(raw.sqlite3_column_blob(_statement, column));

    public string? NullableText(int column) => IsNull(column) ? null : Text(column);
}

public delegate void RowHandler(SqliteRow row);

/// <summary>
/// Reuses string instances for values seen earlier in the same scan: search results repeat the same
/// run ids, metric names, param names and tag values thousands of times.
/// </summary>
internal sealed class StringPool
{
    private const int MaxPooledLength = 128;
    private const int MaxEntries = 8192;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0)
        {
            return "";
        }

        if (utf8.Length > MaxPooledLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxPooledLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var text = chars[..length];
        if (_lookup.TryGetValue(text, out var pooled))
        {
            return pooled;
        }

        var created = text.ToString();
        if (_strings.Count < MaxEntries)
        {
            _strings[created] = created;
        }

        return created;
    }
}
