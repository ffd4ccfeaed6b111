using System.Globalization;

namespace Kiln.Monitoring.Statistics;

internal enum NumberKind
{
    NotANumber,
    Integral,
    Fractional,
}

/// <summary>
/// Types a cell and reads its number in one pass. Plain decimals ([sign]digits[.digits], at most 19 digits) take
/// Clinger's fast path, exact because the mantissa (≤ 2^53) and the power of ten (≤ 10^22) are both exact doubles
/// and IEEE division rounds correctly; everything else (exponents, long mantissas, whitespace) goes to the BCL.
/// Parsing was the largest cost of profiling a CSV after the sketches.
/// </summary>
internal static class NumberParser
{
    private const ulong MaxExactMantissa = 1UL << 53;

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    public static NumberKind Parse(ReadOnlySpan<char> text, out double value)
    {
        var i = 0;
        var negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            i = 1;
        }

        ulong mantissa = 0;
        int digits = 0, fraction = 0;
        var dot = false;
        for (; i < text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit <= 9)
            {
                if (++digits > 19)
                {
                    return Slow(text, out value);
                }

                mantissa = (mantissa * 10) + digit;
                fraction += dot ? 1 : 0;
            }
            else if (text[i] == '.' && !dot)
            {
                dot = true;
            }
            else
            {
                return Slow(text, out value);
            }
        }

        if (digits == 0 || mantissa > MaxExactMantissa || fraction >= PowersOfTen.Length)
        {
            return Slow(text, out value);
        }

        value = fraction == 0 ? mantissa : mantissa / PowersOfTen[fraction];
        value = negative ? -value : value;
        return dot ? NumberKind.Fractional : NumberKind.Integral;
    }

    private static NumberKind Slow(ReadOnlySpan<char> text, out double value)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integral))
        {
            value = integral;
            return NumberKind.Integral;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
        {
            return NumberKind.Fractional;
        }

        value = 0;
        return NumberKind.NotANumber;
    }
}
