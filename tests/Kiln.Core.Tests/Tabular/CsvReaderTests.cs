using System.Globalization;
using System.Text;
using Kiln.Core.Tabular;

namespace Kiln.Core.Tests.Tabular;

public sealed class CsvReaderTests
{
    private static List<(int Line, string[] Cells)> Records(string text, bool header = false, bool ragged = false)
    {
        using var csv = CsvReader.FromText(text, header, ragged);
        var records = new List<(int, string[])>();
        while (csv.Read())
        {
            records.Add((csv.Line, csv.ToStrings()));
        }

        return records;
    }

    [Fact]
    public void Quoted_fields_hold_commas_line_breaks_and_doubled_quotes()
    {
        var records = Records("id,text\n1,\"a, b\"\n2,\"two\nlines\"\n3,\"say \"\"hi\"\"\"\n");
        Assert.Equal(["id", "text"], records[0].Cells);
        Assert.Equal(["1", "a, b"], records[1].Cells);
        Assert.Equal(["2", "two\nlines"], records[2].Cells);
        Assert.Equal(["3", "say \"hi\""], records[3].Cells);
        Assert.Equal([1, 2, 3, 5], records.Select(record => record.Line));
    }

    [Fact]
    public void Crlf_lf_and_cr_end_lines_and_blank_lines_are_skipped_with_their_line_numbers_kept()
    {
        var records = Records("1,2\r\n\r\n3,4\n   \n\n5,6\r7,8");
        Assert.Equal([["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]], records.Select(record => record.Cells));
        Assert.Equal([1, 3, 6, 7], records.Select(record => record.Line));
    }

    [Fact]
    public void Unquoted_cells_are_trimmed_and_quoted_cells_are_told_apart()
    {
        using var csv = CsvReader.FromText(" 12 ,\"12\",, \"\" ,\" x \"\n");
        Assert.True(csv.Read());
        Assert.Equal("12", csv[0].ToString());
        Assert.False(csv[0].Quoted);
        Assert.True(csv[1].Quoted);
        Assert.Equal("12", csv[1].ToString());
        Assert.True(csv[2].IsEmpty);
        Assert.False(csv[2].Quoted);
        Assert.True(csv[3].IsEmpty);
        Assert.True(csv[3].Quoted);
        Assert.Equal(" x ", csv[4].ToString());
        Assert.False(csv.Read());
    }

    [Fact]
    public void A_header_is_read_first_and_rows_are_checked_against_its_width()
    {
        using var csv = CsvReader.FromText("\n a ,\"b, c\",\n1,2,3\n4,5\n", header: true);
        Assert.Equal(["a", "b, c", ""], csv.Header);
        Assert.Equal(2, csv.HeaderLine);
        Assert.True(csv.Read());
        Assert.Equal(3, csv.Line);
        var error = Assert.Throws<CsvRaggedRowException>(() => csv.Read());
        Assert.Equal("line 4, column 3: the row has 2 columns where the header has 3 (a ragged row)", error.Message);
        Assert.Equal((4, 3, 2, 3, CsvProblem.RaggedRow), (error.Line, error.Column, error.Count, error.Width, error.Kind));
    }

    [Fact]
    public void Without_rows_there_is_no_header_and_no_record()
    {
        using var empty = CsvReader.FromText("\r\n \n", header: true);
        Assert.Null(empty.Header);
        Assert.False(empty.Read());
        Assert.Empty(Records(""));
    }

    [Theory]
    [InlineData("1,2\n3\n", "line 2, column 2: the row has 1 columns where the first row has 2 (a ragged row)")]
    [InlineData("1,2\n\n3,4,5\n", "line 3, column 3: the row has 3 columns where the first row has 2 (a ragged row)")]
    public void A_ragged_row_names_its_line_and_the_first_missing_or_extra_column(string text, string message)
    {
        var error = Assert.Throws<CsvRaggedRowException>(() => Records(text));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Ragged_rows_can_be_allowed()
    {
        Assert.Equal([["1", "2"], ["3"]], Records("1,2\n3\n", ragged: true).Select(record => record.Cells));
    }

    [Fact]
    public void An_unclosed_quote_is_named_where_its_cell_is_read()
    {
        using var csv = CsvReader.FromText("1,2\na,\"open\n3,4\n");
        Assert.True(csv.Read());
        Assert.True(csv.Read());
        Assert.Equal("a", csv[0].ToString());
        var error = Assert.Throws<CsvFormatException>(() => csv[1].ToString());
        Assert.Equal("line 2, column 2: a quoted value is not closed", error.Message);
        Assert.Equal(CsvProblem.Malformed, error.Kind);
    }

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-3e2", -300)]
    [InlineData(" 7 ", 7)]
    [InlineData("\"42\"", 42)]
    [InlineData("0.1", 0.1)]
    public void Numbers_parse_as_doubles_and_floats(string cell, double expected)
    {
        using var csv = CsvReader.FromText(cell);
        Assert.True(csv.Read());
        Assert.Equal(expected, csv[0].ToDouble());
        Assert.Equal((float)expected, csv[0].ToFloat());
    }

    [Theory]
    [InlineData("1,2,abc\n", "line 1, column 3: 'abc' is not a number")]
    [InlineData("1,2,\"1,5\"\n", "line 1, column 3: '1,5' is not a number")]
    [InlineData("1,2,0123456789012345678901234567890123456789xyz\n", "line 1, column 3: '0123456789012345678901234567890123456...' is not a number")]
    public void A_cell_that_is_not_a_number_names_its_line_and_column(string text, string message)
    {
        using var csv = CsvReader.FromText(text);
        Assert.True(csv.Read());
        var error = Assert.Throws<CsvFormatException>(() => csv[2].ToDouble());
        Assert.Equal(message, error.Message);
        Assert.Equal(CsvProblem.NotANumber, error.Kind);
        Assert.Equal(message, Assert.Throws<CsvFormatException>(() => csv[2].ToFloat()).Message);
        Assert.False(csv[2].TryDouble(out _));
    }

    [Fact]
    public void A_large_file_streams_with_every_row_read_and_numbered()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kiln-csv-{Guid.NewGuid():N}.csv");
        try
        {
            const int Rows = 300_000;
            using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                writer.Write("label,x,note\n");
                for (var i = 0; i < Rows; i++)
                {
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"{i % 2},{i * 0.5},\"row {i}, \"\"quoted\"\"\"\n"));
                }
            }

            Assert.True(new FileInfo(path).Length > 10_000_000);
            using var csv = CsvReader.FromFile(path, header: true);
            var count = 0;
            var sum = 0.0;
            while (csv.Read())
            {
                Assert.Equal(count + 2, csv.Line);
                sum += csv[1].ToDouble();
                if (count % 50_000 == 0)
                {
                    Assert.Equal($"row {count}, \"quoted\"", csv[2].ToString());
                }

                count++;
            }

            Assert.Equal(Rows, count);
            Assert.Equal(Enumerable.Range(0, Rows).Sum(i => i * 0.5), sum);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_stream_is_read_as_utf8()
    {
        using var csv = CsvReader.FromStream(new MemoryStream(Encoding.UTF8.GetBytes("naïve,\"crème, brûlée\"\n")));
        Assert.True(csv.Read());
        Assert.Equal(["naïve", "crème, brûlée"], csv.ToStrings());
    }
}
