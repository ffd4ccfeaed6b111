namespace Kiln.Monitoring.ModelQuality;

/// <summary>ModelQualityAppSpecification's ProblemType.</summary>
public enum ProblemType
{
    BinaryClassification,
    MulticlassClassification,
    Regression,
}

/// <summary>
/// Where the prediction is in a captured endpointOutput, as ModelQualityAppSpecification / the monitoring input
/// say it: InferenceAttribute (the label or value), ProbabilityAttribute (a binary score) and the threshold that
/// turns the probability into a label. An attribute is a column index for CSV output and a property name (dotted
/// for nesting) or array index for JSON output; without one the first value is used.
/// </summary>
public sealed record ModelQualityConfig(
    ProblemType ProblemType,
    string? InferenceAttribute = null,
    string? ProbabilityAttribute = null,
    double ProbabilityThreshold = 0.5);
