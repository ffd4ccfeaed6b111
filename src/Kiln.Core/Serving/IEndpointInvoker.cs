namespace Kiln.Core.Serving;

/// <summary>
/// The data plane of hosting: sends one request to an endpoint (routing it to a variant and a replica),
/// takes reward feedback for bandit-routed endpoints, and reports live traffic per variant.
/// </summary>
public interface IEndpointInvoker
{
    /// <summary>
    /// Invokes an endpoint. Throws <see cref="Common.KilnException"/> for requests the service refuses (unknown
    /// endpoint or variant, endpoint not in service) and <see cref="ModelInvocationException"/> when the model
    /// refuses the payload.
    /// </summary>
    ValueTask<InvocationResult> InvokeAsync(InvocationRequest request, CancellationToken ct = default);

    /// <summary>Records a reward in [0, 1] for an earlier invocation; false when the inference id is unknown (too old, or never seen).</summary>
    bool Reward(string endpoint, string inferenceId, double reward);

    /// <summary>
    /// <see cref="Reward"/> as the API calls it: in cluster mode the inference may have been served by another node,
    /// and the reward goes to the endpoint's bandit shared by every node.
    /// </summary>
    ValueTask<bool> RewardAsync(string endpoint, string inferenceId, double reward) => ValueTask.FromResult(Reward(endpoint, inferenceId, reward));

    /// <summary>Live traffic per variant on this node, or null when the endpoint is not loaded here.</summary>
    EndpointTraffic? Traffic(string endpoint);
}

/// <summary>One invocation (EnableExplanations overrides the endpoint config's explainer expression). The body is handed over: the invoker may keep it (for capture and shadows) after the call returns.</summary>
public sealed record InvocationRequest(
    string Endpoint,
    ReadOnlyMemory<byte> Body,
    string? ContentType,
    string? Accept,
    string? TargetVariant = null,
    string? CustomAttributes = null,
    string? InferenceId = null,
    string? EnableExplanations = null);

public sealed record InvocationResult(ReadOnlyMemory<byte> Body, string ContentType, string Variant, string InferenceId);

/// <summary>The model refused or failed on a request: SageMaker's ModelError, carrying what the model container would have answered.</summary>
public sealed class ModelInvocationException(int originalStatusCode, string originalMessage, string variant)
    : Exception($"Received {(originalStatusCode is > 0 and < 500 ? "client" : "server")} error ({originalStatusCode}) from {variant} with message \"{originalMessage}\".")
{
    public int OriginalStatusCode { get; } = originalStatusCode;

    public string OriginalMessage { get; } = originalMessage;

    public string Variant { get; } = variant;
}

/// <summary>What one variant has served lately: its share of traffic, latency and, for bandits, what it has learned.</summary>
public sealed record VariantTraffic(
    string VariantName,
    bool Shadow,
    long Invocations,
    long Errors,
    double RecentShare,
    double Weight,
    int Replicas,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double? RewardSum = null,
    double? RewardCount = null,
    long? Comparisons = null,
    long? Agreements = null,
    IReadOnlyList<long>? ReplicaInvocations = null,
    IReadOnlyList<string>? ReplicaNodes = null);

public sealed record EndpointTraffic(string Endpoint, string Routing, IReadOnlyList<VariantTraffic> Variants, long CaptureWritten, long CaptureDropped);
