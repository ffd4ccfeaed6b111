using System.Globalization;

namespace Kiln.Clarify.Config;

/// <summary>Formats numbers the way Python's str() does, because Clarify's value_or_threshold strings come from it.</summary>
public static class PythonFormat
{
    public static string Float(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "inf";
        }
        if (double.IsNegativeInfinity(value))
        {
            return "-inf";
        }
        if (double.IsNaN(value))
        {
            return "nan";
        }
        var abs = Math.Abs(value);
        if (abs != 0 && (abs >= 1e16 || abs < 1e-4))
        {
            var text = value.ToString("E16", CultureInfo.InvariantCulture);
            var shortest = value.ToString("R", CultureInfo.InvariantCulture);
            text = shortest.Contains('E', StringComparison.Ordinal) ? shortest : text;
            var parts = text.Split('E');
            var exponent = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        var plain = value.ToString("R", CultureInfo.InvariantCulture);
        return plain.Contains('.', StringComparison.Ordinal) ? plain : plain + ".0";
    }

    public static string Integer(double value) => ((long)value).ToString(CultureInfo.InvariantCulture);
}
