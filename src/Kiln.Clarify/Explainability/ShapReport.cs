namespace Kiln.Clarify.Explainability;

/// <summary>explanations.kernel_shap of analysis.json for one model output, with the local values behind it.</summary>
public sealed record ShapReport(
    string Label,
    IReadOnlyList<string> Features,
    double ExpectedValue,
    IReadOnlyList<double> GlobalShapValues,
    ShapValues Local);
