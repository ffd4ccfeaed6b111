using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Common;

namespace Kiln.Core.Lineage;

/// <summary>
/// The lineage graph: entities and associations made through the API, plus what Kiln records as it works.
/// An artifact is one URI with one content hash, so the output a processing job uploaded and the channel a
/// training job read from it are the same vertex, and the graph joins up across jobs on its own.
/// </summary>
public sealed class LineageService(ILineageStore store, TimeProvider clock) : ILineageRecorder
{
    public const int MaxDepth = 10;

    public static string ArtifactArn(string region, string uri, string? hash) =>
        Arns.SageMaker(region, "artifact", Digest(uri + "\n" + hash));

    public static string TrialComponentArn(string region, string jobName, string jobType) =>
        Arns.SageMaker(region, "experiment-trial-component", $"{jobName}-aws-{(jobType == LineageTypes.TrainingJob ? "training-job" : "processing-job")}");

    public static string EndpointContextArn(string region, string endpoint) =>
        Arns.SageMaker(region, "context", endpoint + "-" + Digest(endpoint)[..8]);

    public async Task<LineageEntity> CreateAsync(LineageEntity entity, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var stored = entity with { CreationTime = now, LastModifiedTime = now };
        return await store.AddAsync(stored, ct).ConfigureAwait(false)
            ? stored
            : throw new KilnException(ErrorCode.ResourceInUse, $"{entity.Kind} {entity.Name ?? entity.Arn} already exists.");
    }

    public async Task<LineageEntity> DescribeAsync(string arn, LineageKind kind, CancellationToken ct = default) =>
        await store.FindAsync(arn, ct).ConfigureAwait(false) is { } entity && entity.Kind == kind
            ? entity
            : throw KilnException.NotFound($"{kind} {arn} does not exist.");

    public async Task<IReadOnlyList<LineageEntity>> ListAsync(LineageKind kind, string? sourceUri, string? type, CancellationToken ct = default)
    {
        var all = sourceUri is null ? await store.ListAsync(kind, ct).ConfigureAwait(false) : await store.FindBySourceAsync(sourceUri, ct).ConfigureAwait(false);
        return all.Where(entity => entity.Kind == kind && (type is null || entity.Type == type)).ToList();
    }

    public async Task<LineageEntity> UpdateAsync(string arn, LineageKind kind, Func<LineageEntity, LineageEntity> change, CancellationToken ct = default)
    {
        await DescribeAsync(arn, kind, ct).ConfigureAwait(false);
        return await store.UpdateAsync(arn, current => change(current) with { LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"{kind} {arn} does not exist.");
    }

    /// <summary>Deletes the entity and every association it is part of.</summary>
    public async Task DeleteAsync(string arn, LineageKind kind, CancellationToken ct = default)
    {
        await DescribeAsync(arn, kind, ct).ConfigureAwait(false);
        foreach (var edge in (await store.AssociationsAsync(arn, null, ct).ConfigureAwait(false)).Concat(await store.AssociationsAsync(null, arn, ct).ConfigureAwait(false)))
        {
            await store.DisassociateAsync(edge.SourceArn, edge.DestinationArn, ct).ConfigureAwait(false);
        }

        await store.DeleteAsync(arn, ct).ConfigureAwait(false);
    }

    public async Task<LineageAssociation> AssociateAsync(string sourceArn, string destinationArn, string? type, CancellationToken ct = default)
    {
        foreach (var arn in new[] { sourceArn, destinationArn })
        {
            if (await store.FindAsync(arn, ct).ConfigureAwait(false) is null)
            {
                throw KilnException.NotFound($"The lineage entity {arn} does not exist.");
            }
        }

        if (sourceArn == destinationArn)
        {
            throw KilnException.InvalidParameter("An association needs two different entities: the source and the destination are the same.");
        }

        var association = new LineageAssociation(sourceArn, destinationArn, type, clock.GetUtcNow());
        await store.AssociateAsync(association, ct).ConfigureAwait(false);
        return association;
    }

    public async Task DisassociateAsync(string sourceArn, string destinationArn, CancellationToken ct = default)
    {
        if (!await store.DisassociateAsync(sourceArn, destinationArn, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"There is no association from {sourceArn} to {destinationArn}.");
        }
    }

    public Task<IReadOnlyList<LineageAssociation>> AssociationsAsync(string? sourceArn, string? destinationArn, CancellationToken ct = default) =>
        store.AssociationsAsync(sourceArn, destinationArn, ct);

    public Task<LineageEntity?> FindAsync(string arn, CancellationToken ct = default) => store.FindAsync(arn, ct);

    /// <summary>
    /// Walks the graph from <paramref name="start"/> up to <paramref name="maxDepth"/> edges: Descendants along
    /// associations, Ascendants against them. Filters choose which reached vertices are returned; the walk
    /// goes on through the others.
    /// </summary>
    public async Task<LineageGraph> QueryAsync(string start, LineageDirection direction, int maxDepth, LineageFilters filters, CancellationToken ct = default)
    {
        var origin = await store.FindAsync(start, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"The lineage entity {start} does not exist.");
        var seen = new Dictionary<string, LineageEntity>(StringComparer.Ordinal) { [origin.Arn] = origin };
        var edges = new HashSet<LineageAssociation>();
        var frontier = new List<string> { origin.Arn };
        for (var depth = 0; depth < maxDepth && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var arn in frontier)
            {
                var reached = new List<(LineageAssociation Edge, string Arn)>();
                if (direction is LineageDirection.Descendants or LineageDirection.Both)
                {
                    reached.AddRange((await store.AssociationsAsync(arn, null, ct).ConfigureAwait(false)).Select(edge => (edge, edge.DestinationArn)));
                }

                if (direction is LineageDirection.Ascendants or LineageDirection.Both)
                {
                    reached.AddRange((await store.AssociationsAsync(null, arn, ct).ConfigureAwait(false)).Select(edge => (edge, edge.SourceArn)));
                }

                foreach (var (edge, target) in reached)
                {
                    edges.Add(edge);
                    if (!seen.ContainsKey(target) && await store.FindAsync(target, ct).ConfigureAwait(false) is { } entity)
                    {
                        seen[target] = entity;
                        next.Add(target);
                    }
                }
            }

            frontier = next;
        }

        var vertices = seen.Values.Where(filters.Keeps).ToList();
        var kept = vertices.Select(vertex => vertex.Arn).ToHashSet(StringComparer.Ordinal);
        return new LineageGraph(vertices, edges.Where(edge => kept.Contains(edge.SourceArn) && kept.Contains(edge.DestinationArn)).ToList());
    }

    public async Task<string> RecordJobAsync(string jobName, string jobType, string region, IReadOnlyList<LineageData> inputs, IReadOnlyList<LineageData> outputs, IReadOnlyDictionary<string, string> properties, CancellationToken ct = default)
    {
        var job = await EnsureAsync(new LineageEntity
        {
            Arn = TrialComponentArn(region, jobName, jobType),
            Kind = LineageKind.TrialComponent,
            Name = jobName,
            Type = jobType,
            SourceUri = Arns.SageMaker(region, jobType == LineageTypes.TrainingJob ? "training-job" : "processing-job", jobName),
            Properties = properties,
            CreationTime = clock.GetUtcNow(),
            LastModifiedTime = clock.GetUtcNow(),
        }, ct).ConfigureAwait(false);
        foreach (var input in inputs)
        {
            var artifact = await ArtifactAsync(region, input, ct).ConfigureAwait(false);
            await store.AssociateAsync(new LineageAssociation(artifact, job, AssociationTypes.ContributedTo, clock.GetUtcNow()), ct).ConfigureAwait(false);
        }

        foreach (var output in outputs)
        {
            var artifact = await ArtifactAsync(region, output, ct).ConfigureAwait(false);
            await store.AssociateAsync(new LineageAssociation(job, artifact, AssociationTypes.Produced, clock.GetUtcNow()), ct).ConfigureAwait(false);
        }

        return job;
    }

    public async Task RecordModelPackageAsync(string packageArn, string modelDataUrl, string region, CancellationToken ct = default)
    {
        var package = await EnsureAsync(Entity(packageArn, LineageKind.Artifact, LineageTypes.ModelPackage, packageArn), ct).ConfigureAwait(false);
        var model = await LatestArtifactAsync(region, modelDataUrl, LineageTypes.Model, ct).ConfigureAwait(false);
        await store.AssociateAsync(new LineageAssociation(model, package, AssociationTypes.ContributedTo, clock.GetUtcNow()), ct).ConfigureAwait(false);
    }

    public async Task RecordEndpointAsync(string endpointName, string region, IReadOnlyList<string> modelDataUrls, string? packageArn, CancellationToken ct = default)
    {
        var endpointArn = Arns.SageMaker(region, "endpoint", endpointName);
        var context = await EnsureAsync(Entity(EndpointContextArn(region, endpointName), LineageKind.Context, LineageTypes.Endpoint, endpointArn) with { Name = endpointName }, ct).ConfigureAwait(false);
        foreach (var url in modelDataUrls)
        {
            var model = await LatestArtifactAsync(region, url, LineageTypes.Model, ct).ConfigureAwait(false);
            await store.AssociateAsync(new LineageAssociation(model, context, AssociationTypes.ContributedTo, clock.GetUtcNow()), ct).ConfigureAwait(false);
        }

        if (packageArn is not null && await store.FindAsync(packageArn, ct).ConfigureAwait(false) is not null)
        {
            await store.AssociateAsync(new LineageAssociation(packageArn, context, AssociationTypes.ContributedTo, clock.GetUtcNow()), ct).ConfigureAwait(false);
        }
    }

    public async Task RecordPipelineStepAsync(string pipelineName, string executionId, string region, string jobTrialComponentArn, CancellationToken ct = default)
    {
        var executionArn = Arns.PipelineExecution(region, pipelineName, executionId);
        var context = await EnsureAsync(Entity(Arns.SageMaker(region, "context", $"{pipelineName}-{executionId}"), LineageKind.Context, LineageTypes.PipelineExecution, executionArn) with { Name = $"{pipelineName}-{executionId}" }, ct).ConfigureAwait(false);
        if (await store.FindAsync(jobTrialComponentArn, ct).ConfigureAwait(false) is not null)
        {
            await store.AssociateAsync(new LineageAssociation(jobTrialComponentArn, context, AssociationTypes.AssociatedWith, clock.GetUtcNow()), ct).ConfigureAwait(false);
        }
    }

    private async Task<string> ArtifactAsync(string region, LineageData data, CancellationToken ct) =>
        await EnsureAsync(Entity(ArtifactArn(region, data.Uri, data.ContentHash), LineageKind.Artifact, data.Type, data.Uri) with
        {
            ContentHash = data.ContentHash,
            Properties = data.Properties ?? new Dictionary<string, string>(),
        }, ct).ConfigureAwait(false);

    /// <summary>The newest artifact recorded for a URI (whatever its hash), or a new one without a hash.</summary>
    private async Task<string> LatestArtifactAsync(string region, string uri, string type, CancellationToken ct)
    {
        var known = (await store.FindBySourceAsync(uri, ct).ConfigureAwait(false)).Where(entity => entity.Kind == LineageKind.Artifact).ToList();
        return known.Count > 0 ? known[0].Arn : await ArtifactAsync(region, new LineageData(uri, null, type), ct).ConfigureAwait(false);
    }

    private LineageEntity Entity(string arn, LineageKind kind, string type, string sourceUri) => new()
    {
        Arn = arn,
        Kind = kind,
        Type = type,
        SourceUri = sourceUri,
        CreatedBy = "kiln",
        CreationTime = clock.GetUtcNow(),
        LastModifiedTime = clock.GetUtcNow(),
    };

    private async Task<string> EnsureAsync(LineageEntity entity, CancellationToken ct)
    {
        await store.AddAsync(entity, ct).ConfigureAwait(false);
        return entity.Arn;
    }

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
