using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal static class LineagePatterns
{
    public const string EntityName = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}";

    public const string ContextName = @"[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,119}";

    public const string EntityArn = @"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:(experiment|experiment-trial-component|artifact|action|context)/.*";

    public const string NameOrArn = @"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:(experiment|experiment-trial|experiment-trial-component|artifact|action|context)\/)?([a-zA-Z0-9](-*[a-zA-Z0-9]){0,119})";
}

internal sealed record ArtifactSourceType
{
    [AwsRequired, AwsEnum("MD5Hash", "S3ETag", "S3Version", "Custom")]
    public string? SourceIdType { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? Value { get; init; }
}

internal sealed record ArtifactSource
{
    [AwsRequired, AwsLength(1, 2048)]
    public string? SourceUri { get; init; }

    public List<ArtifactSourceType>? SourceTypes { get; init; }
}

internal sealed record EntitySource
{
    [AwsRequired, AwsLength(1, 2048)]
    public string? SourceUri { get; init; }

    [AwsLength(0, 256)]
    public string? SourceType { get; init; }

    [AwsLength(0, 256)]
    public string? SourceId { get; init; }
}

internal sealed record CreateArtifactRequest
{
    [AwsLength(1, 120), AwsPattern(LineagePatterns.EntityName)]
    public string? ArtifactName { get; init; }

    [AwsRequired]
    public ArtifactSource? Source { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? ArtifactType { get; init; }

    [AwsLength(0, 30), AwsMap(256, 4096)]
    public Dictionary<string, string>? Properties { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record CreateActionRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(LineagePatterns.EntityName)]
    public string? ActionName { get; init; }

    [AwsRequired]
    public EntitySource? Source { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? ActionType { get; init; }

    [AwsLength(0, 3072)]
    public string? Description { get; init; }

    [AwsEnum("Unknown", "InProgress", "Completed", "Failed", "Stopping", "Stopped")]
    public string? Status { get; init; }

    [AwsLength(0, 30), AwsMap(2500, 2500)]
    public Dictionary<string, string>? Properties { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record CreateContextRequest
{
    [AwsRequired, AwsLength(1, 120), AwsPattern(LineagePatterns.ContextName)]
    public string? ContextName { get; init; }

    [AwsRequired]
    public EntitySource? Source { get; init; }

    [AwsRequired, AwsLength(0, 256)]
    public string? ContextType { get; init; }

    [AwsLength(0, 3072)]
    public string? Description { get; init; }

    [AwsLength(0, 30), AwsMap(2500, 2500)]
    public Dictionary<string, string>? Properties { get; init; }

    [AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record ArtifactArnResponse(string ArtifactArn);

internal sealed record ActionArnResponse(string ActionArn);

internal sealed record ContextArnResponse(string ContextArn);

internal sealed record ArtifactArnRequest
{
    [AwsLength(0, 256)]
    public string? ArtifactArn { get; init; }

    public ArtifactSource? Source { get; init; }
}

internal sealed record ActionNameRequest
{
    [AwsRequired, AwsLength(1, 256), AwsPattern(LineagePatterns.NameOrArn)]
    public string? ActionName { get; init; }
}

internal sealed record ContextNameRequest
{
    [AwsRequired, AwsLength(1, 256)]
    public string? ContextName { get; init; }
}

internal sealed record DescribeArtifactResponse(
    string? ArtifactName, string ArtifactArn, ArtifactSource Source, string ArtifactType, Dictionary<string, string> Properties,
    DateTimeOffset CreationTime, UserContext? CreatedBy, DateTimeOffset LastModifiedTime);

internal sealed record DescribeActionResponse(
    string? ActionName, string ActionArn, EntitySource Source, string ActionType, string? Description, string? Status, Dictionary<string, string> Properties,
    DateTimeOffset CreationTime, UserContext? CreatedBy, DateTimeOffset LastModifiedTime);

internal sealed record DescribeContextResponse(
    string? ContextName, string ContextArn, EntitySource Source, string ContextType, string? Description, Dictionary<string, string> Properties,
    DateTimeOffset CreationTime, UserContext? CreatedBy, DateTimeOffset LastModifiedTime);

internal sealed record ListLineageEntitiesRequest : PagedRequest
{
    [AwsLength(1, 2048)]
    public string? SourceUri { get; init; }

    [AwsLength(0, 256)]
    public string? ArtifactType { get; init; }

    [AwsLength(0, 256)]
    public string? ActionType { get; init; }

    [AwsLength(0, 256)]
    public string? ContextType { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    [AwsEnum("Name", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record ArtifactSummary(string ArtifactArn, string? ArtifactName, ArtifactSource Source, string ArtifactType, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ActionSummary(string ActionArn, string? ActionName, EntitySource Source, string ActionType, string? Status, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ContextSummary(string ContextArn, string? ContextName, EntitySource Source, string ContextType, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

internal sealed record ListArtifactsResponse(List<ArtifactSummary> ArtifactSummaries, string? NextToken);

internal sealed record ListActionsResponse(List<ActionSummary> ActionSummaries, string? NextToken);

internal sealed record ListContextsResponse(List<ContextSummary> ContextSummaries, string? NextToken);

internal sealed record AssociationRequest
{
    [AwsRequired, AwsLength(0, 256), AwsPattern(LineagePatterns.EntityArn)]
    public string? SourceArn { get; init; }

    [AwsRequired, AwsLength(0, 256), AwsPattern(LineagePatterns.EntityArn)]
    public string? DestinationArn { get; init; }

    [AwsEnum("ContributedTo", "AssociatedWith", "DerivedFrom", "Produced", "SameAs")]
    public string? AssociationType { get; init; }
}

internal sealed record AssociationResponse(string SourceArn, string DestinationArn);

internal sealed record ListAssociationsRequest : PagedRequest
{
    [AwsLength(0, 256), AwsPattern(LineagePatterns.EntityArn)]
    public string? SourceArn { get; init; }

    [AwsLength(0, 256), AwsPattern(LineagePatterns.EntityArn)]
    public string? DestinationArn { get; init; }

    [AwsLength(0, 256)]
    public string? SourceType { get; init; }

    [AwsLength(0, 256)]
    public string? DestinationType { get; init; }

    [AwsEnum("ContributedTo", "AssociatedWith", "DerivedFrom", "Produced", "SameAs")]
    public string? AssociationType { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    [AwsEnum("SourceArn", "DestinationArn", "SourceType", "DestinationType", "CreationTime")]
    public string? SortBy { get; init; }
}

internal sealed record AssociationSummary(
    string SourceArn, string DestinationArn, string? SourceType, string? DestinationType, string? AssociationType, string? SourceName, string? DestinationName, DateTimeOffset CreationTime);

internal sealed record ListAssociationsResponse(List<AssociationSummary> AssociationSummaries, string? NextToken);

internal sealed record QueryFilters
{
    [AwsLength(0, 5)]
    public List<string>? Types { get; init; }

    [AwsLength(0, 4)]
    public List<string>? LineageTypes { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }

    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? ModifiedBefore { get; init; }

    public DateTimeOffset? ModifiedAfter { get; init; }

    [AwsLength(0, 5)]
    public Dictionary<string, string>? Properties { get; init; }
}

internal sealed record QueryLineageRequest
{
    [AwsLength(0, 1)]
    public List<string>? StartArns { get; init; }

    [AwsEnum("Both", "Ascendants", "Descendants")]
    public string? Direction { get; init; }

    public bool? IncludeEdges { get; init; }

    public QueryFilters? Filters { get; init; }

    [AwsRange(long.MinValue, 10)]
    public int? MaxDepth { get; init; }

    [AwsRange(long.MinValue, 50)]
    public int? MaxResults { get; init; }

    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }
}

internal sealed record Vertex(string Arn, string Type, string LineageType);

internal sealed record Edge(string SourceArn, string DestinationArn, string? AssociationType);

internal sealed record QueryLineageResponse(List<Vertex> Vertices, List<Edge>? Edges, string? NextToken);
