using System.Net;

namespace Kiln.Cluster;

/// <summary>How one node joins a Kiln cluster whose shared state is a PostgreSQL database (<c>--store</c>).</summary>
public sealed record ClusterNodeOptions
{
    /// <summary>The <c>--store</c> value: an Npgsql connection string or a <c>postgres://</c> URL.</summary>
    public required string Store { get; init; }

    /// <summary>"server" or "worker".</summary>
    public required string Role { get; init; }

    /// <summary>The address other nodes reach this one at (<c>--advertise</c>); it must be this machine's.</summary>
    public IPAddress Advertise { get; init; } = IPAddress.Loopback;

    /// <summary>Silo-to-silo port (<c>--silo-port</c>); 0 picks a free one.</summary>
    public int SiloPort { get; init; }

    /// <summary>Orleans client gateway port (<c>--gateway-port</c>); 0 picks a free one.</summary>
    public int GatewayPort { get; init; }

    /// <summary>Every node of one store is one cluster; Orleans' reminders are shared under the service id.</summary>
    public const string ClusterId = "kiln";

    public const string ServiceId = "kiln";
}
