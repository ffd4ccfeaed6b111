using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Core.Lineage;

/// <summary>SageMaker's lineage entity kinds (QueryLineage's LineageType).</summary>
public enum LineageKind
{
    Artifact,
    Action,
    Context,
    TrialComponent,
}

/// <summary>The types Kiln gives the entities it records itself.</summary>
public static class LineageTypes
{
    public const string DataSet = "DataSet";
    public const string Code = "Code";
    public const string Model = "Model";
    public const string ModelPackage = "ModelPackage";
    public const string Endpoint = "Endpoint";
    public const string TrainingJob = "TrainingJob";
    public const string ProcessingJob = "ProcessingJob";
    public const string PipelineExecution = "PipelineExecution";
}

public static class AssociationTypes
{
    public const string ContributedTo = "ContributedTo";
    public const string AssociatedWith = "AssociatedWith";
    public const string DerivedFrom = "DerivedFrom";
    public const string Produced = "Produced";
    public const string SameAs = "SameAs";

    public static readonly IReadOnlyList<string> All = [ContributedTo, AssociatedWith, DerivedFrom, Produced, SameAs];
}

/// <summary>
/// One vertex of the lineage graph: an artifact (a dataset, code, a model: a URI and the hash of its
/// content), an action, a context (an endpoint, a pipeline execution) or a trial component (a job).
/// </summary>
public sealed record LineageEntity
{
    public required string Arn { get; init; }

    public required LineageKind Kind { get; init; }

    public string? Name { get; init; }

    public required string Type { get; init; }

    public required string SourceUri { get; init; }

    /// <summary>An artifact's content identity, e.g. <c>sha256:…</c> (SageMaker's SourceTypes, IdType Custom).</summary>
    public string? ContentHash { get; init; }

    /// <summary>An action's or context's SourceType and SourceId.</summary>
    public string? SourceType { get; init; }

    public string? SourceId { get; init; }

    public string? Description { get; init; }

    public string? Status { get; init; }

    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public string? CreatedBy { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }
}

public sealed record LineageAssociation(string SourceArn, string DestinationArn, string? AssociationType, DateTimeOffset CreationTime);

public enum LineageDirection
{
    Both,
    Ascendants,
    Descendants,
}

/// <summary>What a QueryLineage call keeps of what it reaches.</summary>
public sealed record LineageFilters(
    IReadOnlyList<string> Types,
    IReadOnlyList<LineageKind> Kinds,
    DateTimeOffset? CreatedBefore,
    DateTimeOffset? CreatedAfter,
    DateTimeOffset? ModifiedBefore,
    DateTimeOffset? ModifiedAfter,
    IReadOnlyDictionary<string, string> Properties)
{
    public static readonly LineageFilters None = new([], [], null, null, null, null, new Dictionary<string, string>());

    public bool Keeps(LineageEntity entity) =>
        (Types.Count == 0 || Types.Contains(entity.Type))
        && (Kinds.Count == 0 || Kinds.Contains(entity.Kind))
        && (CreatedBefore is null || entity.CreationTime < CreatedBefore)
        && (CreatedAfter is null || entity.CreationTime > CreatedAfter)
        && (ModifiedBefore is null || entity.LastModifiedTime < ModifiedBefore)
        && (ModifiedAfter is null || entity.LastModifiedTime > ModifiedAfter)
        && Properties.All(pair => entity.Properties.TryGetValue(pair.Key, out var value) && value == pair.Value);
}

public sealed record LineageGraph(IReadOnlyList<LineageEntity> Vertices, IReadOnlyList<LineageAssociation> Edges);

/// <summary>One input or output of a job as lineage sees it: where it is, what its content hashed to, what it is.</summary>
public sealed record LineageData(string Uri, string? ContentHash, string Type, IReadOnlyDictionary<string, string>? Properties = null);
