namespace Kiln.Core.Monitoring;

/// <summary>One value an execution measured: <see cref="Metric"/> is <c>{feature}.{statistic}</c> for data quality (e.g. <c>age.mean</c>) or the model-quality metric's name (e.g. <c>accuracy</c>).</summary>
public sealed record MetricPoint(string Metric, string Subject, double Value);

/// <summary>One entry of an execution's constraint_violations.json.</summary>
public sealed record MetricViolation(string Feature, string CheckType, string Description);

/// <summary>What one ended execution measured and which constraints it violated, read from its reports.</summary>
public sealed record ExecutionResults
{
    /// <summary>The execution's key (<see cref="MonitoringExecution.Name"/>).</summary>
    public string Name => MonitoringExecution.KeyOf(ScheduleName, ScheduledTime);

    public required string ScheduleName { get; init; }

    public required DateTimeOffset ScheduledTime { get; init; }

    public string MonitoringType { get; init; } = MonitoringTypes.DataQuality;

    public IReadOnlyList<MetricPoint> Points { get; init; } = [];

    public IReadOnlyList<MetricViolation> Violations { get; init; } = [];

    public required DateTimeOffset CreationTime { get; init; }

    /// <summary>Whether a violation names the point's feature (data quality) or metric (model quality).</summary>
    public bool Violated(MetricPoint point) => Violations.Any(violation => violation.Feature == point.Subject);
}
