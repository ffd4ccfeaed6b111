using Kiln.Monitoring.Statistics;
using nietras.SeparatedValues;

namespace Kiln.Monitoring.Datasets;

/// <summary>
/// Reads CSV with Sep once, into column-major chunks of rows, and profiles each chunk's columns in parallel while
/// the next chunk is parsed: the parse is sequential, the typing, moments and sketches are per column.
/// </summary>
internal static class CsvDatasetReader
{
    private const int ChunkRows = 16_384;

    public static void Read(Stream stream, bool header, DatasetProfiler profiler, string what)
    {
        SepReader reader;
        try
        {
            reader = Sep.New(',').Reader(o => o with { HasHeader = header, Unescape = true, DisableColCountCheck = true }).From(stream);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new MonitoringInputException($"The {what} is not valid CSV: {e.Message}", e);
        }

        using (reader)
        {
            ReadRows(reader, header, profiler, what);
        }
    }

    private static void ReadRows(SepReader reader, bool header, DatasetProfiler profiler, string what)
    {
        ColumnProfiler[]? columns = null;
        if (header)
        {
            var names = reader.Header.ColNames;
            if (names.Count == 0 || (names.Count == 1 && names[0].Length == 0))
            {
                throw new MonitoringInputException($"The {what} is empty: it has no header line.");
            }

            columns = names.Select(profiler.Column).ToArray();
        }

        Chunk? chunk = null;
        Chunk? spare = null;
        Task? pending = null;
        try
        {
            foreach (var row in reader)
            {
                if (row.ColCount == 1 && row[0].Span.IsEmpty && (columns is null || columns.Length > 1))
                {
                    continue; // a blank line
                }

                columns ??= Enumerable.Range(0, row.ColCount).Select(i => profiler.Column($"_c{i}")).ToArray();
                if (row.ColCount != columns.Length)
                {
                    throw new MonitoringInputException(
                        $"The {what} has {row.ColCount} column(s) on line {row.LineNumberFrom} where {columns.Length} were expected.");
                }

                chunk ??= new Chunk(columns.Length);
                chunk.Append(row);
                if (chunk.Rows == ChunkRows)
                {
                    pending?.Wait();
                    var full = chunk;
                    var targets = columns;
                    pending = Task.Run(() => full.Profile(targets, profiler));
                    chunk = spare;
                    spare = full;
                    chunk?.Reset();
                }
            }
        }
        catch (InvalidDataException e)
        {
            pending?.Wait();
            throw new MonitoringInputException($"The {what} is not valid CSV: {e.Message}", e);
        }

        pending?.Wait();
        if (chunk is not null && columns is not null)
        {
            chunk.Profile(columns, profiler);
        }
    }

    /// <summary>A block of rows, column by column: each column's cells laid end to end in one char buffer.</summary>
    private sealed class Chunk
    {
        private readonly char[][] _text;
        private readonly int[][] _ends;
        private readonly int[] _lengths;

        public Chunk(int columns)
        {
            _text = new char[columns][];
            _ends = new int[columns][];
            _lengths = new int[columns];
            for (var c = 0; c < columns; c++)
            {
                _text[c] = new char[ChunkRows * 8];
                _ends[c] = new int[ChunkRows];
            }
        }

        public int Rows { get; private set; }

        public void Append(SepReader.Row row)
        {
            for (var c = 0; c < _text.Length; c++)
            {
                var cell = row[c].Span;
                var length = _lengths[c];
                if (length + cell.Length > _text[c].Length)
                {
                    Array.Resize(ref _text[c], Math.Max(_text[c].Length * 2, length + cell.Length));
                }

                cell.CopyTo(_text[c].AsSpan(length));
                _lengths[c] = length + cell.Length;
                _ends[c][Rows] = _lengths[c];
            }

            Rows++;
        }

        public void Reset()
        {
            Rows = 0;
            Array.Clear(_lengths);
        }

        public void Profile(ColumnProfiler[] columns, DatasetProfiler profiler)
        {
            Parallel.For(0, columns.Length, c =>
            {
                var column = columns[c];
                var text = _text[c];
                var ends = _ends[c];
                var start = 0;
                for (var r = 0; r < Rows; r++)
                {
                    column.AddText(text.AsSpan(start, ends[r] - start));
                    start = ends[r];
                }
            });
            profiler.EndRows(Rows);
        }
    }
}
