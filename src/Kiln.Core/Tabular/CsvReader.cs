using System.Globalization;
using nietras.SeparatedValues;

namespace Kiln.Core.Tabular;

/// <summary>
/// The one CSV reader of Kiln (training channels, invocation payloads, batch transform, the CLI), on Sep: records
/// of cells from a string, a stream or a file, streamed, RFC 4180 quoting (separators, doubled quotes and line
/// breaks inside quotes), <c>\n</c>, <c>\r\n</c> or <c>\r</c> line ends. Blank lines are skipped, unquoted cells
/// are trimmed, and every row must be as wide as the first (or the header) unless ragged rows are allowed.
/// Problems are <see cref="CsvFormatException"/>s naming the line and column.
/// </summary>
public sealed class CsvReader : IDisposable
{
    private readonly SepReader _sep;
    private readonly bool _ragged;
    private int _width = -1;
    private int _nextLine = 1;

    private CsvReader(SepReader sep, bool header, bool ragged)
    {
        _sep = sep;
        _ragged = ragged;
        if (header)
        {
            if (Read())
            {
                var names = new string[Count];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = this[i].ToString();
                }

                Header = names;
                HeaderLine = Line;
            }
        }
    }

    /// <summary>The header's cells when the reader was asked for one; null when there is no row at all.</summary>
    public IReadOnlyList<string>? Header { get; }

    public int HeaderLine { get; }

    /// <summary>The 1-based line the current record starts on.</summary>
    public int Line { get; private set; }

    /// <summary>The current record's number of cells.</summary>
    public int Count => _sep.Current.ColCount;

    /// <summary>A cell of the current record (0-based column).</summary>
    public CsvCell this[int column] => CsvCell.Of(_sep.Current[column].Span, Line, column);

    public static CsvReader FromText(string text, bool header = false, bool ragged = false) =>
        new(Options().FromText(text), header, ragged);

    /// <summary>Streams a UTF-8 source (a file is read a buffer at a time, never whole).</summary>
    public static CsvReader FromStream(Stream stream, bool header = false, bool ragged = false) =>
        new(Options().From(stream), header, ragged);

    public static CsvReader FromFile(string path, bool header = false, bool ragged = false) =>
        new(Options().FromFile(path), header, ragged);

    /// <summary>Moves to the next record that is not blank; false at the end.</summary>
    public bool Read()
    {
        while (_sep.MoveNext())
        {
            var row = _sep.Current;
            Line = _nextLine;
            _nextLine = row.LineNumberToExcl; // Sep's LineNumberFrom is not reliable for the first row.
            if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
            {
                continue;
            }

            if (_width < 0)
            {
                _width = row.ColCount;
            }
            else if (row.ColCount != _width && !_ragged)
            {
                throw new CsvRaggedRowException(Line, row.ColCount, _width, Header is not null);
            }

            return true;
        }

        return false;
    }

    /// <summary>The current record's cells as strings.</summary>
    public string[] ToStrings()
    {
        var cells = new string[Count];
        for (var i = 0; i < cells.Length; i++)
        {
            cells[i] = this[i].ToString();
        }

        return cells;
    }

    public void Dispose() => _sep.Dispose();

    private static SepReaderOptions Options() => Sep.New(',').Reader(options => options with
    {
        HasHeader = false,
        DisableColCountCheck = true,
        CultureInfo = CultureInfo.InvariantCulture,
    });
}
