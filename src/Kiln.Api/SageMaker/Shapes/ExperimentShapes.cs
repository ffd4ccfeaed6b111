using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal static class ExperimentPatterns
{
    public const string Name = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}";
}

internal sealed record CreateExperimentRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? ExperimentName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? DisplayName { get; init; }

    [AwsLength(0, 3072)]
    public string? Description { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record ExperimentNameRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? ExperimentName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? DisplayName { get; init; }

    [AwsLength(0, 3072)]
    public string? Description { get; init; }
}

internal sealed record ExperimentArnResponse(string ExperimentArn);

internal sealed record DescribeExperimentResponse(string ExperimentName, string ExperimentArn, string? DisplayName, string? Description, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ListEntitiesRequest : PagedRequest
{
    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? ExperimentName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialComponentName { get; init; }

    [AwsLength(0, 256)]
    public string? SourceArn { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record ExperimentSummary(string ExperimentArn, string ExperimentName, string? DisplayName, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ListExperimentsResponse(List<ExperimentSummary> ExperimentSummaries, string? NextToken);

internal sealed record CreateTrialRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? DisplayName { get; init; }

    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? ExperimentName { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record TrialNameRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? DisplayName { get; init; }
}

internal sealed record TrialArnResponse(string TrialArn);

internal sealed record DescribeTrialResponse(string TrialName, string TrialArn, string? DisplayName, string ExperimentName, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record TrialSummary(string TrialArn, string TrialName, string? DisplayName, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ListTrialsResponse(List<TrialSummary> TrialSummaries, string? NextToken);

internal sealed record TrialComponentStatus
{
    [AwsEnum("InProgress", "Completed", "Failed", "Stopping", "Stopped")]
    public string? PrimaryStatus { get; init; }

    [AwsLength(0, 1024)]
    public string? Message { get; init; }
}

internal sealed record TrialComponentParameterValue
{
    [AwsLength(0, 2500)]
    public string? StringValue { get; init; }

    public double? NumberValue { get; init; }
}

internal sealed record TrialComponentArtifact
{
    [AwsLength(0, 64)]
    public string? MediaType { get; init; }

    [AwsRequired, AwsLength(0, 2048)]
    public string? Value { get; init; }
}

internal sealed record TrialComponentRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialComponentName { get; init; }

    [AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? DisplayName { get; init; }

    public TrialComponentStatus? Status { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    [AwsLength(0, 300)]
    public Dictionary<string, TrialComponentParameterValue>? Parameters { get; init; }

    public List<string>? ParametersToRemove { get; init; }

    [AwsLength(0, 60)]
    public Dictionary<string, TrialComponentArtifact>? InputArtifacts { get; init; }

    public List<string>? InputArtifactsToRemove { get; init; }

    [AwsLength(0, 60)]
    public Dictionary<string, TrialComponentArtifact>? OutputArtifacts { get; init; }

    public List<string>? OutputArtifactsToRemove { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record TrialComponentNameRequest
{
    [AwsRequired, AwsLength(1, 256)]
    public string? TrialComponentName { get; init; }
}

internal sealed record TrialComponentArnResponse(string TrialComponentArn);

internal sealed record TrialComponentSource(string SourceArn, string? SourceType);

internal sealed record TrialComponentMetricSummary(string MetricName, string? SourceArn, DateTimeOffset TimeStamp, double Max, double Min, double Last, int Count, double Avg, double StdDev);

internal sealed record TrialComponentRecord
{
    public required string TrialComponentName { get; init; }

    public required string TrialComponentArn { get; init; }

    public string? DisplayName { get; init; }

    public TrialComponentSource? Source { get; init; }

    public required TrialComponentStatus Status { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public required Dictionary<string, TrialComponentParameterValue> Parameters { get; init; }

    public required Dictionary<string, TrialComponentArtifact> InputArtifacts { get; init; }

    public required Dictionary<string, TrialComponentArtifact> OutputArtifacts { get; init; }

    public required List<TrialComponentMetricSummary> Metrics { get; init; }

    public List<Tag>? Tags { get; init; }

    /// <summary>In Search results: the trials the component belongs to.</summary>
    public List<TrialNameOnly>? Parents { get; init; }
}

internal sealed record TrialNameOnly(string TrialName, string ExperimentName);

internal sealed record TrialComponentSummary(string TrialComponentName, string TrialComponentArn, string? DisplayName, TrialComponentSource? TrialComponentSource, TrialComponentStatus Status,
    DateTimeOffset? StartTime, DateTimeOffset? EndTime, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ListTrialComponentsResponse(List<TrialComponentSummary> TrialComponentSummaries, string? NextToken);

internal sealed record AssociateTrialComponentRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialComponentName { get; init; }

    [AwsRequired, AwsLength(1, 120), AwsPattern(ExperimentPatterns.Name)]
    public string? TrialName { get; init; }
}

internal sealed record AssociateTrialComponentResponse(string TrialComponentArn, string TrialArn);
