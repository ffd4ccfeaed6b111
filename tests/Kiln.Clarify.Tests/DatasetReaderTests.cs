using Kiln.Clarify.Bias;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Tests;

public sealed class DatasetReaderTests
{
    [Fact]
    public void Columns_are_typed_as_pandas_read_csv_types_them()
    {
        var data = DatasetReader.ReadCsv(new StringReader("i,f,gap,s,q\n1,1.5,1,a,\"x, y\"\n-2,2,NA,b,\"say \"\"hi\"\"\"\n3,3,3,c,z\n"), null);
        Assert.Equal([ColumnKind.Integer, ColumnKind.Float, ColumnKind.Float, ColumnKind.Text, ColumnKind.Text], data.Columns.Select(c => c.Kind));
        Assert.True(data.Columns[2].IsMissing(1));
        Assert.Equal(["x, y", "say \"hi\"", "z"], data.Columns[4].Cells.Select(c => c!));
        Assert.Equal(["1", "-2", "3"], Enumerable.Range(0, 3).Select(data.Columns[0].Display));
        Assert.Equal("1.0", data.Columns[2].Display(0));
    }

    [Fact]
    public void Given_headers_name_the_columns_and_a_repeated_header_row_is_skipped()
    {
        var withRow = DatasetReader.ReadCsv(new StringReader("a,b\n1,2\n"), ["a", "b"]);
        var withoutRow = DatasetReader.ReadCsv(new StringReader("1,2\n3,4\n"), ["a", "b"]);
        Assert.Equal(1, withRow.RowCount);
        Assert.Equal(2, withoutRow.RowCount);
        Assert.Equal(["a", "b"], withoutRow.Headers);
    }

    [Theory]
    [InlineData("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", SeriesType.Continuous)] // 20 distinct of 20
    [InlineData("0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1", SeriesType.Continuous)] // 2 of 20 = 10 % ≥ 5 %
    [InlineData("0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1", SeriesType.Categorical)] // 2 of 42 < 5 %
    [InlineData("a,b,a,b", SeriesType.Categorical)]
    [InlineData("0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5,0.5,1.5", SeriesType.Continuous)] // floats always
    public void Facet_and_label_types_follow_clarifys_uniqueness_rule(string cells, SeriesType expected)
    {
        var column = new DataColumn("c", cells.Split(','));
        Assert.Equal(expected, SeriesTypes.Of(column, [ConfigValue.Integer(1)]));
        // Several values always mean categories.
        Assert.Equal(SeriesType.Categorical, SeriesTypes.Of(column, [ConfigValue.Integer(1), ConfigValue.Integer(2)]));
    }

    [Fact]
    public void Category_values_match_by_json_type_first_then_converted()
    {
        var numbers = new DataColumn("n", ["1", "2", "3"]);
        var text = new DataColumn("t", ["1", "x", "1.0"]);
        Assert.Equal([true, false, false], CategoryMatcher.Match(numbers, [ConfigValue.String("1")]));
        // "1" in a text column: 1 is compared as its Python text "1", which matches the first cell only.
        Assert.Equal([true, false, false], CategoryMatcher.Match(text, [ConfigValue.Integer(1)]));
        Assert.Equal([false, false, true], CategoryMatcher.Match(text, [ConfigValue.Float(1.0)]));
        Assert.Throws<BiasMetricException>(() => CategoryMatcher.Match(numbers, [ConfigValue.String("one")]));
    }
}
