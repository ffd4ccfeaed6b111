using System.Security.Cryptography;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Api.Security.Permissions;
using Kiln.Core.Common;
using Kiln.Core.Lineage;

namespace Kiln.Api.SageMaker;

/// <summary>Artifacts, actions, contexts, associations and QueryLineage over the lineage graph Kiln also records itself.</summary>
internal static class LineageApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateArtifactRequest>("CreateArtifact", CreateArtifactAsync);
        SageMakerApi.Add<ArtifactArnRequest>("DescribeArtifact", DescribeArtifactAsync);
        SageMakerApi.Add<ListLineageEntitiesRequest>("ListArtifacts", ListArtifactsAsync);
        SageMakerApi.Add<ArtifactArnRequest>("DeleteArtifact", DeleteArtifactAsync);
        SageMakerApi.Add<CreateActionRequest>("CreateAction", CreateActionAsync);
        SageMakerApi.Add<ActionNameRequest>("DescribeAction", DescribeActionAsync);
        SageMakerApi.Add<ListLineageEntitiesRequest>("ListActions", ListActionsAsync);
        SageMakerApi.Add<ActionNameRequest>("DeleteAction", DeleteActionAsync);
        SageMakerApi.Add<CreateContextRequest>("CreateContext", CreateContextAsync);
        SageMakerApi.Add<ContextNameRequest>("DescribeContext", DescribeContextAsync);
        SageMakerApi.Add<ListLineageEntitiesRequest>("ListContexts", ListContextsAsync);
        SageMakerApi.Add<ContextNameRequest>("DeleteContext", DeleteContextAsync);
        SageMakerApi.Add<AssociationRequest>("AddAssociation", AddAssociationAsync);
        SageMakerApi.Add<AssociationRequest>("DeleteAssociation", DeleteAssociationAsync);
        SageMakerApi.Add<ListAssociationsRequest>("ListAssociations", ListAssociationsAsync);
        SageMakerApi.Add<QueryLineageRequest>("QueryLineage", QueryLineageAsync);
    }

    private static LineageService Lineage(SageMakerCall call) => call.Service<LineageService>();

    private static LineagePermissions Visibility(SageMakerCall call) => call.Service<LineagePermissions>();

    /// <summary>An entity the caller may not see (a hidden model package's or job's) answers as one that does not exist.</summary>
    private static async Task RequireVisibleAsync(SageMakerCall call, string arn)
    {
        if (!await Visibility(call).MaySeeAsync(call.Who, arn, call.Aborted))
        {
            throw KilnException.NotFound($"The lineage entity {arn} does not exist.");
        }
    }

    private static string ArnOf(SageMakerCall call, string resource, string nameOrArn) =>
        nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? nameOrArn : call.Arn(resource, nameOrArn);

    private static LineageEntity New(SageMakerCall call, string arn, LineageKind kind, string? name, string type, string uri) => new()
    {
        Arn = arn,
        Kind = kind,
        Name = name,
        Type = type,
        SourceUri = uri,
        CreatedBy = call.Caller.AccessKeyId,
        CreationTime = DateTimeOffset.UnixEpoch,
        LastModifiedTime = DateTimeOffset.UnixEpoch,
    };

    private static async Task<object?> CreateArtifactAsync(CreateArtifactRequest request, SageMakerCall call)
    {
        var source = request.Source!;
        var hash = source.SourceTypes?.FirstOrDefault()?.Value;
        var arn = call.Arn("artifact", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var entity = New(call, arn, LineageKind.Artifact, request.ArtifactName, request.ArtifactType!, source.SourceUri!) with
        {
            ContentHash = hash,
            SourceType = source.SourceTypes?.FirstOrDefault()?.SourceIdType,
            Properties = request.Properties ?? [],
            Tags = Tags(request.Tags),
        };
        await Lineage(call).CreateAsync(entity, call.Aborted);
        return new ArtifactArnResponse(arn);
    }

    private static async Task<LineageEntity> ArtifactAsync(ArtifactArnRequest request, SageMakerCall call)
    {
        if (request.ArtifactArn is { } arn)
        {
            var artifact = await Lineage(call).DescribeAsync(arn, LineageKind.Artifact, call.Aborted);
            await RequireVisibleAsync(call, artifact.Arn);
            return artifact;
        }

        if (request.Source?.SourceUri is not { } uri)
        {
            throw new SageMakerException("ValidationException", "Give ArtifactArn, or Source with the artifact's SourceUri.");
        }

        var matches = await Visibility(call).VisibleAsync(call.Who, await Lineage(call).ListAsync(LineageKind.Artifact, uri, null, call.Aborted), call.Aborted);
        var hash = request.Source.SourceTypes?.FirstOrDefault()?.Value;
        return matches.FirstOrDefault(entity => hash is null || entity.ContentHash == hash)
            ?? throw new SageMakerException("ResourceNotFound", $"No artifact has the source {uri}.");
    }

    private static async Task<object?> DescribeArtifactAsync(ArtifactArnRequest request, SageMakerCall call)
    {
        var artifact = await ArtifactAsync(request, call);
        return new DescribeArtifactResponse(artifact.Name, artifact.Arn, ArtifactSourceOf(artifact), artifact.Type, artifact.Properties.ToDictionary(),
            artifact.CreationTime, new UserContext { UserProfileName = artifact.CreatedBy }, artifact.LastModifiedTime);
    }

    private static ArtifactSource ArtifactSourceOf(LineageEntity artifact) => new()
    {
        SourceUri = artifact.SourceUri,
        SourceTypes = artifact.ContentHash is { } hash ? [new ArtifactSourceType { SourceIdType = artifact.SourceType ?? "Custom", Value = hash }] : null,
    };

    private static async Task<object?> ListArtifactsAsync(ListLineageEntitiesRequest request, SageMakerCall call)
    {
        var (items, next) = await ListAsync(request, LineageKind.Artifact, request.ArtifactType, call);
        return new ListArtifactsResponse(items.Select(a => new ArtifactSummary(a.Arn, a.Name, ArtifactSourceOf(a), a.Type, a.CreationTime, a.LastModifiedTime)).ToList(), next);
    }

    private static async Task<object?> DeleteArtifactAsync(ArtifactArnRequest request, SageMakerCall call)
    {
        var artifact = await ArtifactAsync(request, call);
        await Lineage(call).DeleteAsync(artifact.Arn, LineageKind.Artifact, call.Aborted);
        return new ArtifactArnResponse(artifact.Arn);
    }

    private static async Task<object?> CreateActionAsync(CreateActionRequest request, SageMakerCall call)
    {
        var arn = call.Arn("action", request.ActionName!);
        var entity = New(call, arn, LineageKind.Action, request.ActionName, request.ActionType!, request.Source!.SourceUri!) with
        {
            SourceType = request.Source.SourceType,
            SourceId = request.Source.SourceId,
            Description = request.Description,
            Status = request.Status ?? "Unknown",
            Properties = request.Properties ?? [],
            Tags = Tags(request.Tags),
        };
        await AlreadyExists.AsValidationAsync(Lineage(call).CreateAsync(entity, call.Aborted), $"Action {arn} already exists.");
        return new ActionArnResponse(arn);
    }

    private static async Task<object?> DescribeActionAsync(ActionNameRequest request, SageMakerCall call)
    {
        var action = await Lineage(call).DescribeAsync(ArnOf(call, "action", request.ActionName!), LineageKind.Action, call.Aborted);
        return new DescribeActionResponse(action.Name, action.Arn, SourceOf(action), action.Type, action.Description, action.Status, action.Properties.ToDictionary(),
            action.CreationTime, new UserContext { UserProfileName = action.CreatedBy }, action.LastModifiedTime);
    }

    private static async Task<object?> ListActionsAsync(ListLineageEntitiesRequest request, SageMakerCall call)
    {
        var (items, next) = await ListAsync(request, LineageKind.Action, request.ActionType, call);
        return new ListActionsResponse(items.Select(a => new ActionSummary(a.Arn, a.Name, SourceOf(a), a.Type, a.Status, a.CreationTime, a.LastModifiedTime)).ToList(), next);
    }

    private static async Task<object?> DeleteActionAsync(ActionNameRequest request, SageMakerCall call)
    {
        var arn = ArnOf(call, "action", request.ActionName!);
        await Lineage(call).DeleteAsync(arn, LineageKind.Action, call.Aborted);
        return new ActionArnResponse(arn);
    }

    private static async Task<object?> CreateContextAsync(CreateContextRequest request, SageMakerCall call)
    {
        var arn = call.Arn("context", request.ContextName!);
        var entity = New(call, arn, LineageKind.Context, request.ContextName, request.ContextType!, request.Source!.SourceUri!) with
        {
            SourceType = request.Source.SourceType,
            SourceId = request.Source.SourceId,
            Description = request.Description,
            Properties = request.Properties ?? [],
            Tags = Tags(request.Tags),
        };
        await AlreadyExists.AsValidationAsync(Lineage(call).CreateAsync(entity, call.Aborted), $"Context {arn} already exists.");
        return new ContextArnResponse(arn);
    }

    private static async Task<object?> DescribeContextAsync(ContextNameRequest request, SageMakerCall call)
    {
        var context = await Lineage(call).DescribeAsync(ArnOf(call, "context", request.ContextName!), LineageKind.Context, call.Aborted);
        return new DescribeContextResponse(context.Name, context.Arn, SourceOf(context), context.Type, context.Description, context.Properties.ToDictionary(),
            context.CreationTime, new UserContext { UserProfileName = context.CreatedBy }, context.LastModifiedTime);
    }

    private static async Task<object?> ListContextsAsync(ListLineageEntitiesRequest request, SageMakerCall call)
    {
        var (items, next) = await ListAsync(request, LineageKind.Context, request.ContextType, call);
        return new ListContextsResponse(items.Select(c => new ContextSummary(c.Arn, c.Name, SourceOf(c), c.Type, c.CreationTime, c.LastModifiedTime)).ToList(), next);
    }

    private static async Task<object?> DeleteContextAsync(ContextNameRequest request, SageMakerCall call)
    {
        var arn = ArnOf(call, "context", request.ContextName!);
        await Lineage(call).DeleteAsync(arn, LineageKind.Context, call.Aborted);
        return new ContextArnResponse(arn);
    }

    private static EntitySource SourceOf(LineageEntity entity) => new() { SourceUri = entity.SourceUri, SourceType = entity.SourceType, SourceId = entity.SourceId };

    private static async Task<(List<LineageEntity> Items, string? NextToken)> ListAsync(ListLineageEntitiesRequest request, LineageKind kind, string? type, SageMakerCall call)
    {
        var listed = await Lineage(call).ListAsync(kind, request.SourceUri, type, call.Aborted);
        var all = (await Visibility(call).VisibleAsync(call.Who, listed, call.Aborted))
            .Where(entity => (request.CreatedAfter is null || entity.CreationTime > request.CreatedAfter) && (request.CreatedBefore is null || entity.CreationTime < request.CreatedBefore));
        var ordered = request.SortBy == "Name" ? all.OrderBy(entity => entity.Name ?? entity.Arn, StringComparer.Ordinal) : all.OrderBy(entity => entity.CreationTime);
        return JobListing.Slice((request.SortOrder == "Ascending" ? ordered : ordered.Reverse()).ToList(), request.NextToken, request.MaxResults);
    }

    private static async Task<object?> AddAssociationAsync(AssociationRequest request, SageMakerCall call)
    {
        await Lineage(call).AssociateAsync(request.SourceArn!, request.DestinationArn!, request.AssociationType, call.Aborted);
        return new AssociationResponse(request.SourceArn!, request.DestinationArn!);
    }

    private static async Task<object?> DeleteAssociationAsync(AssociationRequest request, SageMakerCall call)
    {
        await Lineage(call).DisassociateAsync(request.SourceArn!, request.DestinationArn!, call.Aborted);
        return new AssociationResponse(request.SourceArn!, request.DestinationArn!);
    }

    private static async Task<object?> ListAssociationsAsync(ListAssociationsRequest request, SageMakerCall call)
    {
        var lineage = Lineage(call);
        var summaries = new List<AssociationSummary>();
        var edges = await Visibility(call).VisibleAsync(call.Who, await lineage.AssociationsAsync(request.SourceArn, request.DestinationArn, call.Aborted), call.Aborted);
        foreach (var edge in edges)
        {
            var source = await lineage.FindAsync(edge.SourceArn, call.Aborted);
            var destination = await lineage.FindAsync(edge.DestinationArn, call.Aborted);
            var summary = new AssociationSummary(edge.SourceArn, edge.DestinationArn, source?.Type, destination?.Type, edge.AssociationType, source?.Name, destination?.Name, edge.CreationTime);
            if ((request.AssociationType is null || summary.AssociationType == request.AssociationType)
                && (request.SourceType is null || summary.SourceType == request.SourceType)
                && (request.DestinationType is null || summary.DestinationType == request.DestinationType)
                && (request.CreatedAfter is null || summary.CreationTime > request.CreatedAfter)
                && (request.CreatedBefore is null || summary.CreationTime < request.CreatedBefore))
            {
                summaries.Add(summary);
            }
        }

        IEnumerable<AssociationSummary> ordered = request.SortBy switch
        {
            "SourceArn" => summaries.OrderBy(s => s.SourceArn, StringComparer.Ordinal),
            "DestinationArn" => summaries.OrderBy(s => s.DestinationArn, StringComparer.Ordinal),
            "SourceType" => summaries.OrderBy(s => s.SourceType, StringComparer.Ordinal),
            "DestinationType" => summaries.OrderBy(s => s.DestinationType, StringComparer.Ordinal),
            _ => summaries.OrderBy(s => s.CreationTime),
        };
        var (items, next) = JobListing.Slice((request.SortOrder == "Ascending" ? ordered : ordered.Reverse()).ToList(), request.NextToken, request.MaxResults);
        return new ListAssociationsResponse(items, next);
    }

    private static async Task<object?> QueryLineageAsync(QueryLineageRequest request, SageMakerCall call)
    {
        if (request.StartArns is not [var start])
        {
            throw new SageMakerException("ValidationException", "StartArns must hold exactly one ARN to start from.");
        }

        if (request.MaxDepth is < 0)
        {
            throw new SageMakerException("ValidationException", $"MaxDepth must be between 0 and {LineageService.MaxDepth}.");
        }

        var kinds = new List<LineageKind>();
        foreach (var name in request.Filters?.LineageTypes ?? [])
        {
            kinds.Add(Enum.TryParse<LineageKind>(name, out var kind) && Enum.IsDefined(kind)
                ? kind
                : throw new SageMakerException("ValidationException", $"Filters.LineageTypes: '{name}' is not one of TrialComponent, Artifact, Context, Action."));
        }

        var filters = request.Filters is null
            ? LineageFilters.None
            : new LineageFilters(request.Filters.Types ?? [], kinds, request.Filters.CreatedBefore, request.Filters.CreatedAfter, request.Filters.ModifiedBefore, request.Filters.ModifiedAfter, request.Filters.Properties ?? []);
        var direction = request.Direction switch { "Ascendants" => LineageDirection.Ascendants, "Both" => LineageDirection.Both, _ => LineageDirection.Descendants };
        await RequireVisibleAsync(call, start);
        var graph = await Visibility(call).VisibleAsync(call.Who, await Lineage(call).QueryAsync(start, direction, request.MaxDepth ?? LineageService.MaxDepth, filters, call.Aborted), call.Aborted);
        var (vertices, next) = JobListing.Slice(graph.Vertices, request.NextToken, request.MaxResults ?? 50);
        return new QueryLineageResponse(
            vertices.Select(vertex => new Vertex(vertex.Arn, vertex.Type, vertex.Kind.ToString())).ToList(),
            request.IncludeEdges == true ? graph.Edges.Select(edge => new Edge(edge.SourceArn, edge.DestinationArn, edge.AssociationType)).ToList() : null,
            next);
    }

    private static List<Core.Tracking.Tag> Tags(List<Tag>? tags) => (tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
}
