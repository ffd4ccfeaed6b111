using Kiln.Core.Cluster;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Kiln.Jobs;

/// <summary>
/// The cluster from Orleans' membership table (live and dead nodes, as Orleans' failure detection declared them) and,
/// for each live node, its own account of its job slots.
/// </summary>
internal sealed class OrleansClusterStatus(
    IMembershipTable membership,
    INodeSlotsClient nodes,
    ILocalSiloDetails local,
    IOptions<ClusterOptions> cluster,
    IOptions<JobEngineOptions> engine) : IClusterStatus
{
    public async Task<ClusterReport> DescribeAsync(CancellationToken ct = default)
    {
        var table = await membership.ReadAllAsync(ct);
        var rows = table.Members.Select(member => member.Item1)
            // A node restarted on the same address and port is a new generation; show each generation once.
            .GroupBy(entry => entry.SiloAddress)
            .Select(group => group.First());
        var report = await Task.WhenAll(rows.Select(async entry =>
        {
            var (role, version) = NodeName.Parse(entry.SiloName);
            var live = entry.Status == SiloStatus.Active;
            NodeLoad? load = null;
            if (live)
            {
                try
                {
                    load = await nodes.LoadOf(entry.SiloAddress).WaitAsync(TimeSpan.FromSeconds(3), ct);
                }
                catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
                {
                    load = null;
                }
            }

            return new ClusterNode(
                entry.SiloAddress.Endpoint.ToString(),
                entry.SiloName,
                load?.Role ?? role,
                load?.Version ?? version,
                entry.Status.ToString(),
                live,
                load?.Capacity,
                load?.Running,
                load?.Waiting,
                entry.StartTime == default ? null : new DateTimeOffset(DateTime.SpecifyKind(entry.StartTime, DateTimeKind.Utc)),
                entry.SiloAddress.Equals(local.SiloAddress));
        }));
        var ordered = report.OrderByDescending(node => node.Live).ThenByDescending(node => node.StartedAt).ToList();
        return new ClusterReport(cluster.Value.ClusterId, engine.Value.Version, ordered);
    }
}

/// <summary>How a Kiln node names itself in the membership table: <c>ROLE/VERSION/HOST</c>.</summary>
public static class NodeName
{
    public static string Format(string role, string version, string host) => $"{role}/{version}/{host}";

    /// <summary>The role and version a node's name carries; "unknown" for a name Kiln did not write.</summary>
    public static (string Role, string Version) Parse(string? name)
    {
        var parts = (name ?? "").Split('/', 3);
        return parts.Length == 3 ? (parts[0], parts[1]) : ("unknown", "unknown");
    }
}
