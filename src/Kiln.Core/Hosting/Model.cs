using Kiln.Core.Tracking;

namespace Kiln.Core.Hosting;

/// <summary>A model that endpoints and batch transforms serve: its container image and where its data (model.tar.gz, model.onnx) is.</summary>
public sealed record HostedModel(
    string Name,
    string? Image,
    string? ModelDataUrl,
    IReadOnlyDictionary<string, string> Environment,
    string? ExecutionRoleArn,
    DateTimeOffset CreationTime,
    IReadOnlyList<Tag> Tags);

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
    IReadOnlyList<Tag> Tags);

public enum EndpointStatus
{
    OutOfService,
    Creating,
    Updating,
    SystemUpdating,
    RollingBack,
    InService,
    Deleting,
    Failed,
    UpdateRollbackFailed,
}

/// <summary>A variant as deployed: the weights and replica counts it has now and is moving to.</summary>
public sealed record VariantState(string VariantName, double CurrentWeight, double DesiredWeight, int CurrentInstanceCount, int DesiredInstanceCount);

/// <summary>How an endpoint update shifts traffic to the new fleet (SageMaker's blue/green policy).</summary>
public sealed record TrafficShift(string Type, double FirstStepFraction, double StepFraction, int WaitIntervalSeconds, int TerminationWaitSeconds);

public sealed record Endpoint
{
    public required string Name { get; init; }

    public required string ConfigName { get; init; }

    public EndpointStatus Status { get; init; } = EndpointStatus.Creating;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public IReadOnlyList<VariantState> Variants { get; init; } = [];

    public IReadOnlyList<VariantState> ShadowVariants { get; init; } = [];

    /// <summary>While an update runs: the config being deployed.</summary>
    public string? PendingConfigName { get; init; }

    public TrafficShift? LastDeployment { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];
}
