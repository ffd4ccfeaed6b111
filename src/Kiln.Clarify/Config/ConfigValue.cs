using System.Globalization;

namespace Kiln.Clarify.Config;

public enum ConfigValueKind
{
    Integer,
    Float,
    String,
}

/// <summary>
/// One element of value_or_threshold / label_values_or_threshold. Clarify keeps the JSON type (1 and "1" and
/// 1.0 behave differently), so it is kept here too.
/// </summary>
public readonly record struct ConfigValue(ConfigValueKind Kind, double Number, string Text)
{
    public static ConfigValue Integer(long value) => new(ConfigValueKind.Integer, value, value.ToString(CultureInfo.InvariantCulture));

    public static ConfigValue Float(double value) => new(ConfigValueKind.Float, value, PythonFormat.Float(value));

    public static ConfigValue String(string value) => new(ConfigValueKind.String, double.NaN, value);

    public bool IsNumeric => Kind != ConfigValueKind.String;

    /// <summary>Python's str() of the value, which is how Clarify writes it into analysis.json.</summary>
    public override string ToString() => Text;
}
