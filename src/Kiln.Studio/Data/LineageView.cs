using Kiln.Core.Lineage;

namespace Kiln.Studio.Data;

/// <summary>Where an entity of a lineage graph stands relative to the entity the graph was drawn from.</summary>
public enum LineageRelation
{
    Start,
    Upstream,
    Downstream,

    /// <summary>Reached through both directions, e.g. another input of a job the start entity fed.</summary>
    Related,
}

/// <summary>One entity of the graph as the page shows it: a label, its Studio page (or its own lineage) and its relation.</summary>
public sealed record LineageNode(LineageEntity Entity, string Label, string Href, LineageRelation Relation);

/// <summary>
/// A QueryLineage result shaped for the lineage page: the nodes (each with where a click leads) and edges, and the
/// element data Cytoscape.js draws (the layout is cytoscape-dagre's, in the browser).
/// </summary>
public sealed record LineageView(LineageEntity Start, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageAssociation> Edges)
{
    public static LineageView From(LineageEntity start, LineageGraph graph)
    {
        var upstream = Reachable(start.Arn, graph.Edges, edge => edge.DestinationArn, edge => edge.SourceArn);
        var downstream = Reachable(start.Arn, graph.Edges, edge => edge.SourceArn, edge => edge.DestinationArn);
        var nodes = graph.Vertices
            .Select(entity => new LineageNode(
                entity,
                Label(entity),
                StudioLinks.For(entity) ?? StudioLinks.Lineage(entity.Arn),
                entity.Arn == start.Arn ? LineageRelation.Start
                : upstream.Contains(entity.Arn) ? LineageRelation.Upstream
                : downstream.Contains(entity.Arn) ? LineageRelation.Downstream
                : LineageRelation.Related))
            .OrderBy(node => node.Relation)
            .ThenBy(node => node.Label, StringComparer.Ordinal)
            .ToList();
        return new LineageView(start, nodes, graph.Edges);
    }

    public static string Label(LineageEntity entity) =>
        entity.Name ?? PackagePath(entity.SourceUri) ?? LastSegment(entity.SourceUri) ?? entity.Type;

    public string LabelOf(string arn) => Nodes.FirstOrDefault(node => node.Entity.Arn == arn)?.Label ?? arn;

    /// <summary>Cytoscape.js elements: nodes carry their kind, type, relation and link; edges their association type.</summary>
    public object Elements() => new
    {
        nodes = Nodes.Select(node => new
        {
            data = new
            {
                id = node.Entity.Arn,
                label = node.Entity.Type + "\n" + node.Label,
                kind = node.Entity.Kind.ToString(),
                relation = node.Relation.ToString(),
                href = node.Href,
            },
        }),
        edges = Edges.Select((edge, index) => new
        {
            data = new { id = "e" + index, source = edge.SourceArn, target = edge.DestinationArn, label = edge.AssociationType ?? "" },
        }),
    };

    private static HashSet<string> Reachable(string from, IReadOnlyList<LineageAssociation> edges, Func<LineageAssociation, string> near, Func<LineageAssociation, string> far)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var frontier = new Queue<string>([from]);
        while (frontier.TryDequeue(out var arn))
        {
            foreach (var edge in edges.Where(edge => near(edge) == arn))
            {
                if (seen.Add(far(edge)))
                {
                    frontier.Enqueue(far(edge));
                }
            }
        }

        seen.Remove(from);
        return seen;
    }

    /// <summary>A model package ARN's <c>group/version</c>: its last segment alone would be a bare number.</summary>
    private static string? PackagePath(string uri)
    {
        const string Marker = ":model-package/";
        var marker = uri.IndexOf(Marker, StringComparison.Ordinal);
        return marker < 0 ? null : uri[(marker + Marker.Length)..];
    }

    private static string? LastSegment(string uri)
    {
        var trimmed = uri.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return trimmed.Length == 0 ? null : slash >= 0 && slash < trimmed.Length - 1 ? trimmed[(slash + 1)..] : trimmed;
    }
}
