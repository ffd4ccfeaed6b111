using System.Globalization;

namespace Kiln.Clarify.Config;

/// <summary>Formats numbers the way Python's str() does, because Clarify's value_or_threshold strings come from it.</summary>
public static class PythonFormat
{
    /// <summary>Shortest round-trip digits, positional for exponents −4..15 (with ".0" when integral), else d.ddde±XX.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }
        var (negative, digits, exponent) = Decompose(value);
        var sign = negative ? "-" : "";
        if (exponent is >= -4 and < 16)
        {
            string text;
            if (exponent >= digits.Length - 1)
            {
                text = digits + new string('0', exponent - digits.Length + 1) + ".0";
            }
            else if (exponent >= 0)
            {
                text = digits[..(exponent + 1)] + "." + digits[(exponent + 1)..];
            }
            else
            {
                text = "0." + new string('0', -exponent - 1) + digits;
            }
            return sign + text;
        }
        var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
        return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
    }

    public static string Integer(double value) => ((long)value).ToString(CultureInfo.InvariantCulture);

    /// <summary>The significant digits (no trailing zeros) and the decimal exponent of the first digit.</summary>
    private static (bool Negative, string Digits, int Exponent) Decompose(double value)
    {
        var text = Math.Abs(value).ToString("E16", CultureInfo.InvariantCulture);
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        // "R" is the shortest round-trip form; normalise it to digits and exponent.
        var exponent = 0;
        var mantissa = shortest;
        var e = shortest.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exponent = int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture);
            mantissa = shortest[..e];
        }
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = point >= 0 ? mantissa[..point] : mantissa;
        var fracPart = point >= 0 ? mantissa[(point + 1)..] : "";
        var all = intPart + fracPart;
        var leadingZeros = all.Length - all.TrimStart('0').Length;
        var digits = all.Trim('0');
        if (digits.Length == 0)
        {
            digits = text[..1];
        }
        exponent += intPart.Length - 1 - leadingZeros;
        return (value < 0, digits, exponent);
    }
}
