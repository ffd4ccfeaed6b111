namespace Kiln.Clarify.Bias;

/// <summary>A metric's value, or the reason it could not be computed (then Value is null).</summary>
public sealed record MetricResult(string Name, string Description, double? Value, string? Error = null);

/// <summary>The metrics for one sensitive group of a facet: a value, several values joined by ",", or "(threshold, max]".</summary>
public sealed record FacetValueResult(string ValueOrThreshold, IReadOnlyList<MetricResult> Metrics);

public sealed record FacetResult(string Name, IReadOnlyList<FacetValueResult> Values);

/// <summary>pre_training_bias_metrics or post_training_bias_metrics of analysis.json.</summary>
public sealed record BiasReport(string Label, string LabelValueOrThreshold, IReadOnlyList<FacetResult> Facets);
