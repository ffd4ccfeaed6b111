using Kiln.Core.Common;
using Kiln.Core.Experiments;
using Kiln.Core.Lineage;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security.Permissions;

/// <summary>
/// Which lineage entities a caller may see, by the permissions of what they stand for: a model package (or model
/// package group) needs READ on its registered model; a trial component (a job's run) needs READ on the experiments
/// it belongs to. Data, code, models, endpoints and actions carry no MLflow permission and stay visible. The SageMaker
/// lineage calls and Studio's lineage page leave hidden entities out as if they did not exist, with every edge that
/// touches them, so their ARNs (which name the group or the job) are not shown.
/// </summary>
public sealed class LineagePermissions(ResourcePermissions permissions, ExperimentService experiments)
{
    private const string PackageMarker = ":model-package/";
    private const string GroupMarker = ":model-package-group/";
    private const string ComponentMarker = ":experiment-trial-component/";

    public async Task<bool> MaySeeAsync(KilnCaller caller, string arn, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return true;
        }

        if (RegisteredModelOf(arn) is { } model)
        {
            return await permissions.AllowsAsync(caller, ResourceKind.RegisteredModel, model, ResourceAction.Read, ct).ConfigureAwait(false);
        }

        var component = arn.IndexOf(ComponentMarker, StringComparison.Ordinal);
        if (component < 0)
        {
            return true;
        }

        TrialComponent found;
        try
        {
            found = await experiments.DescribeTrialComponentAsync(arn[(component + ComponentMarker.Length)..], ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            // An entity whose ARN only looks like a trial component's (made with CreateArtifact and friends).
            return true;
        }

        foreach (var experimentId in await ExperimentsOfAsync(experiments, found, ct).ConfigureAwait(false))
        {
            if (!await permissions.AllowsAsync(caller, ResourceKind.Experiment, experimentId, ResourceAction.Read, ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The entities the caller may see, in their order.</summary>
    public async Task<IReadOnlyList<LineageEntity>> VisibleAsync(KilnCaller caller, IReadOnlyList<LineageEntity> entities, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return entities;
        }

        var visible = new List<LineageEntity>(entities.Count);
        foreach (var entity in entities)
        {
            if (await MaySeeAsync(caller, entity.Arn, ct).ConfigureAwait(false))
            {
                visible.Add(entity);
            }
        }

        return visible;
    }

    /// <summary>The associations whose both ends the caller may see.</summary>
    public async Task<IReadOnlyList<LineageAssociation>> VisibleAsync(KilnCaller caller, IReadOnlyList<LineageAssociation> edges, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return edges;
        }

        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        var visible = new List<LineageAssociation>(edges.Count);
        foreach (var edge in edges)
        {
            if (await SeenAsync(edge.SourceArn) && await SeenAsync(edge.DestinationArn))
            {
                visible.Add(edge);
            }
        }

        return visible;

        async Task<bool> SeenAsync(string arn)
        {
            if (!verdicts.TryGetValue(arn, out var allowed))
            {
                allowed = verdicts[arn] = await MaySeeAsync(caller, arn, ct).ConfigureAwait(false);
            }

            return allowed;
        }
    }

    /// <summary>The graph without the entities the caller may not see and the edges touching them.</summary>
    public async Task<LineageGraph> VisibleAsync(KilnCaller caller, LineageGraph graph, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return graph;
        }

        var vertices = await VisibleAsync(caller, graph.Vertices, ct).ConfigureAwait(false);
        var kept = vertices.Select(vertex => vertex.Arn).ToHashSet(StringComparer.Ordinal);
        var edges = graph.Edges.Where(edge => kept.Contains(edge.SourceArn) && kept.Contains(edge.DestinationArn)).ToList();
        return new LineageGraph(vertices, edges);
    }

    /// <summary>
    /// The experiments a trial component belongs to: its run's, or, for one kept in the default experiment, those of
    /// the trials it is associated with (none for an unassociated one).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ExperimentsOfAsync(ExperimentService experiments, TrialComponent component, CancellationToken ct = default)
    {
        if (component.Run.Info.ExperimentId != ExperimentService.StandaloneExperimentId)
        {
            return [component.Run.Info.ExperimentId];
        }

        var ids = new List<string>();
        foreach (var trial in component.Trials)
        {
            ids.Add((await experiments.DescribeTrialAsync(trial, ct).ConfigureAwait(false)).Run.Info.ExperimentId);
        }

        return ids;
    }

    /// <summary>The registered model a model package or model package group ARN names (<c>…:model-package/GROUP/VERSION</c>, <c>…:model-package-group/GROUP</c>).</summary>
    private static string? RegisteredModelOf(string arn)
    {
        var group = arn.IndexOf(GroupMarker, StringComparison.Ordinal);
        if (group >= 0)
        {
            return arn[(group + GroupMarker.Length)..];
        }

        var package = arn.IndexOf(PackageMarker, StringComparison.Ordinal);
        if (package < 0)
        {
            return null;
        }

        var path = arn[(package + PackageMarker.Length)..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? path[..slash] : path;
    }
}
