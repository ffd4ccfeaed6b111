using System.Text.Json;

namespace Kiln.Monitoring.Constraints;

/// <summary>One entry of constraint_violations.json.</summary>
public sealed record Violation(string FeatureName, string ConstraintCheckType, string Description);

/// <summary>Model Monitor's constraint check types.</summary>
public static class CheckTypes
{
    public const string DataType = "data_type_check";
    public const string Completeness = "completeness_check";
    public const string BaselineDrift = "baseline_drift_check";
    public const string MissingColumn = "missing_column_check";
    public const string ExtraColumn = "extra_column_check";
    public const string CategoricalValues = "categorical_values_check";
}

public static class ViolationsJson
{
    public static string ToJson(IReadOnlyList<Violation> violations)
    {
        using var stream = new MemoryStream();
        Write(violations, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(IReadOnlyList<Violation> violations, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("violations");
        foreach (var v in violations)
        {
            w.WriteStartObject();
            w.WriteString("feature_name", v.FeatureName);
            w.WriteString("constraint_check_type", v.ConstraintCheckType);
            w.WriteString("description", v.Description);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
