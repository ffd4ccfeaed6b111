namespace Kiln.Core.Cluster;

/// <summary>The nodes of this Kiln deployment as the cluster's membership sees them (one node in the embedded default).</summary>
public interface IClusterStatus
{
    Task<ClusterReport> DescribeAsync(CancellationToken ct = default);
}

/// <param name="ClusterId">The cluster these nodes form.</param>
/// <param name="Version">The Kiln version of the node answering.</param>
/// <param name="Nodes">Live nodes first, then those that left or died (until the membership table forgets them).</param>
public sealed record ClusterReport(string ClusterId, string Version, IReadOnlyList<ClusterNode> Nodes);

/// <param name="Address">Where the node's silo listens (IP:port).</param>
/// <param name="Name">The node's name in the membership table.</param>
/// <param name="Role">"server" (serves the APIs) or "worker" (runs jobs only).</param>
/// <param name="Status">Orleans' membership status: Active, Joining, ShuttingDown, Stopping or Dead.</param>
/// <param name="SlotsInUse">Jobs holding one of the node's slots now (null for a node that is not live or did not answer).</param>
/// <param name="SlotsWaiting">Jobs queued for a slot on the node.</param>
public sealed record ClusterNode(
    string Address,
    string Name,
    string Role,
    string Version,
    string Status,
    bool Live,
    int? Slots,
    int? SlotsInUse,
    int? SlotsWaiting,
    DateTimeOffset? StartedAt,
    bool IsThisNode);
