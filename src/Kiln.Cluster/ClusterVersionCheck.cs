using Kiln.Jobs;
using Kiln.Storage.Postgres;
using Npgsql;

namespace Kiln.Cluster;

/// <summary>
/// Kiln's rule for joining: every live node of a cluster runs the same Kiln version. A node reads Orleans' membership
/// table before its silo starts and refuses to join when a live node (active, and heard from lately) runs another
/// version, so an upgrade is: stop every node, upgrade, start them again (docs/scaling.md).
/// </summary>
public static class ClusterVersionCheck
{
    /// <summary>How recently a node must have written its I-am-alive time to count as live (a killed node's row stays Active until others vote it dead).</summary>
    public static readonly TimeSpan LiveWithin = TimeSpan.FromSeconds(45);

    /// <summary>Returns null when this node may join, else the one line saying why not.</summary>
    public static async Task<string?> RefusalAsync(string store, string version, CancellationToken ct = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(PostgresConnectionString.Parse(store));
        await using var command = dataSource.CreateCommand(
            "SELECT SiloName, Address, Port FROM OrleansMembershipTable " +
            "WHERE DeploymentId = @cluster AND Status = 3 AND IAmAliveTime > now() - @within");
        command.Parameters.AddWithValue("cluster", ClusterNodeOptions.ClusterId);
        command.Parameters.AddWithValue("within", LiveWithin);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (role, theirs) = NodeName.Parse(reader.GetString(0));
            if (theirs != version)
            {
                return $"refusing to join the cluster: the {role} node at {reader.GetString(1)}:{reader.GetInt32(2)} runs Kiln {theirs} and this node runs Kiln {version}. " +
                    "Every node of a cluster must run the same version: stop all nodes, upgrade them, then start them again.";
            }
        }

        return null;
    }
}
