using System.Globalization;
using System.Text;
using Kiln.Training.Data;

namespace Kiln.Training.Tests.Data;

public sealed class NumericCsvTests
{
    [Theory]
    [InlineData("0.0")]
    [InlineData("181.5")]
    [InlineData("-30.86")]
    [InlineData("+4733")]
    [InlineData("007")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("0.05")]
    [InlineData("16777215")]
    [InlineData("1.000000")]
    public void Short_decimals_parse_to_the_same_float_as_float_Parse(string text)
    {
        Assert.True(NumericCsv.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(float.Parse(text, CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1e5")]
    [InlineData("16777216")]
    [InlineData("0.12345678901")]
    [InlineData("1.0000000000")]
    [InlineData("1.2.3")]
    [InlineData("NaN")]
    [InlineData("12a")]
    public void Anything_else_is_left_to_the_full_parser(string text) =>
        Assert.False(NumericCsv.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void A_million_random_short_decimals_round_exactly_as_float_Parse_does()
    {
        var random = new Random(3);
        for (var i = 0; i < 1_000_000; i++)
        {
            var places = random.Next(0, 8);
            var digits = random.Next(1, 8);
            var mantissa = random.NextInt64(0, (long)Math.Pow(10, digits));
            var text = mantissa.ToString(CultureInfo.InvariantCulture).PadLeft(places + 1, '0');
            if (places > 0)
            {
                text = text[..^places] + "." + text[^places..];
            }

            if (random.Next(2) == 0)
            {
                text = "-" + text;
            }

            var parsed = NumericCsv.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out var value);
            if (parsed)
            {
                Assert.True(float.Parse(text, CultureInfo.InvariantCulture) == value, text);
            }
        }
    }
}
