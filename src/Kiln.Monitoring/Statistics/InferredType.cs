namespace Kiln.Monitoring.Statistics;

/// <summary>Model Monitor's inferred_type of a feature.</summary>
public enum InferredType
{
    Unknown,
    Integral,
    Fractional,
    String,
}
