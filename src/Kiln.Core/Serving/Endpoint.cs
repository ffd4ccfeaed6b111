using Kiln.Core.Tracking;

namespace Kiln.Core.Serving;

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
public sealed record VariantState(string VariantName, string ModelName, double CurrentWeight, double DesiredWeight, int CurrentInstanceCount, int DesiredInstanceCount);

/// <summary>A share of a fleet: a number of instances, or a percentage of its capacity (SageMaker's CapacitySize).</summary>
public sealed record CapacitySize(string Type, int Value)
{
    public const string InstanceCount = "INSTANCE_COUNT";
    public const string CapacityPercent = "CAPACITY_PERCENT";

    /// <summary>The share of traffic this size stands for in a fleet of <paramref name="instances"/> replicas, in (0, 1].</summary>
    public double Fraction(int instances) =>
        Math.Clamp(Type == InstanceCount ? Value / (double)Math.Max(1, instances) : Value / 100.0, 0.0, 1.0);
}

/// <summary>
/// How an endpoint update moves traffic to the new fleet (SageMaker's blue/green policy): all at once, a canary
/// share first, or linear steps, waiting between steps; the old fleet is kept until the new one has all traffic.
/// </summary>
public sealed record BlueGreenPolicy(
    string Type,
    int WaitIntervalInSeconds,
    CapacitySize? CanarySize = null,
    CapacitySize? LinearStepSize = null,
    int? TerminationWaitInSeconds = null,
    int? MaximumExecutionTimeoutInSeconds = null,
    IReadOnlyList<string>? RollbackAlarms = null)
{
    public const string AllAtOnce = "ALL_AT_ONCE";
    public const string Canary = "CANARY";
    public const string Linear = "LINEAR";

    /// <summary>The share of traffic the new fleet has after each step, ending at 1.</summary>
    public IReadOnlyList<double> Steps(int newFleetInstances)
    {
        switch (Type)
        {
            case Canary when CanarySize is { } canary:
                var first = canary.Fraction(newFleetInstances);
                return first >= 1 ? [1.0] : [first, 1.0];
            case Linear when LinearStepSize is { } step:
                var size = step.Fraction(newFleetInstances);
                var steps = new List<double>();
                for (var share = size; share < 1 - 1e-9; share += size)
                {
                    steps.Add(share);
                }

                steps.Add(1.0);
                return steps;
            default:
                return [1.0];
        }
    }
}

/// <summary>What is being changed on an endpoint while it is Creating or Updating.</summary>
public enum EndpointOperation
{
    None,
    Create,
    UpdateConfig,
    UpdateWeights,
}

public sealed record Endpoint
{
    public required string Name { get; init; }

    public required string ConfigName { get; init; }

    public EndpointStatus Status { get; init; } = EndpointStatus.Creating;

    public EndpointOperation Operation { get; init; } = EndpointOperation.Create;

    public string? FailureReason { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public IReadOnlyList<VariantState> Variants { get; init; } = [];

    public IReadOnlyList<VariantState> ShadowVariants { get; init; } = [];

    /// <summary>While an update runs: the config being deployed (the green fleet).</summary>
    public string? PendingConfigName { get; init; }

    public IReadOnlyList<VariantState> PendingVariants { get; init; } = [];

    public IReadOnlyList<VariantState> PendingShadowVariants { get; init; } = [];

    /// <summary>The share of traffic the pending fleet gets (0 until an update starts shifting, 1 when it has all of it).</summary>
    public double PendingTrafficShare { get; init; }

    public DateTimeOffset? PendingStartTime { get; init; }

    /// <summary>The deployment policy of the last CreateEndpoint or UpdateEndpoint that named one.</summary>
    public BlueGreenPolicy? LastDeployment { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    /// <summary>True while requests are served: Creating and Failed endpoints take none.</summary>
    public bool IsServing => Status is EndpointStatus.InService or EndpointStatus.Updating or EndpointStatus.SystemUpdating or EndpointStatus.RollingBack;
}
