namespace Kiln.Clarify.Bias;

/// <summary>One metric cannot be computed for one facet value (e.g. an empty group); Clarify reports it in place of the value.</summary>
public sealed class BiasMetricException(string message) : Exception(message);
