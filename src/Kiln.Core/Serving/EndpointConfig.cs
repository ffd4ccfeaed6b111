using Kiln.Core.Tracking;

namespace Kiln.Core.Serving;

/// <summary>One variant of an endpoint config: which model, how many replicas, what share of traffic.</summary>
public sealed record VariantSpec(string VariantName, string ModelName, int InitialInstanceCount, double InitialVariantWeight, string? InstanceType);

/// <summary>How an endpoint records traffic: what share of requests, which parts, where to.</summary>
public sealed record DataCaptureSpec(
    bool Enabled,
    int SamplingPercentage,
    string DestinationUri,
    bool CaptureInput,
    bool CaptureOutput,
    IReadOnlyList<string> CsvContentTypes,
    IReadOnlyList<string> JsonContentTypes);

/// <summary>How requests pick a production variant: by weight (SageMaker's way) or by a multi-armed bandit learning from reward feedback.</summary>
public enum RoutingStrategy
{
    Weighted,
    ThompsonSampling,
    EpsilonGreedy,
    UpperConfidenceBound,
}

public sealed record EndpointConfig(
    string Name,
    IReadOnlyList<VariantSpec> Variants,
    IReadOnlyList<VariantSpec> ShadowVariants,
    DataCaptureSpec? DataCapture,
    RoutingStrategy Routing,
    DateTimeOffset CreationTime,
    IReadOnlyList<Tag> Tags,
    ClarifyExplainerSpec? Explainer = null);
