using System.Globalization;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Tests;

public sealed class NumberParserTests
{
    [Theory]
    [InlineData("42", "Integral", 42.0)]
    [InlineData("-7", "Integral", -7.0)]
    [InlineData("+3", "Integral", 3.0)]
    [InlineData("2.50", "Fractional", 2.5)]
    [InlineData(".5", "Fractional", 0.5)]
    [InlineData("1.", "Fractional", 1.0)]
    [InlineData("1e3", "Fractional", 1000.0)]
    [InlineData("12345678901234567890", "Fractional", 12345678901234567890.0)]
    [InlineData("-", "NotANumber", 0.0)]
    [InlineData("1.2.3", "NotANumber", 0.0)]
    [InlineData("NaN", "NotANumber", 0.0)]
    [InlineData("red", "NotANumber", 0.0)]
    public void Cells_are_typed_like_deequ_and_read_exactly(string text, string kind, double value)
    {
        Assert.Equal(kind, NumberParser.Parse(text, out var parsed).ToString());
        Assert.Equal(value, parsed);
    }

    [Fact]
    public void The_fast_path_reads_the_same_double_as_the_runtime()
    {
        var random = new Random(2);
        for (var i = 0; i < 200_000; i++)
        {
            var text = (random.NextDouble() * Math.Pow(10, random.Next(-6, 12)) * (random.Next(2) == 0 ? 1 : -1))
                .ToString("F" + random.Next(0, 10), CultureInfo.InvariantCulture);
            NumberParser.Parse(text, out var parsed);
            Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), parsed);
        }
    }
}
