using System.Net;
using Kiln.Cluster.Endpoints;
using Kiln.Core.Cluster;
using Kiln.Serving.Runtime;
using Kiln.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Kiln.Cluster;

public static class ClusterSiloExtensions
{
    /// <summary>
    /// Joins this silo to the cluster kept in the <c>--store</c> database: Orleans' ADO.NET membership and reminders
    /// on PostgreSQL (their tables come with Kiln's migrations, 006-orleans-cluster.sql), the node's advertised
    /// address and ports, and failure detection tuned so a killed node is declared dead within about ten seconds.
    /// Call before <c>AddKilnJobEngine</c>, so the engine keeps these reminders instead of SQLite's.
    /// </summary>
    public static ISiloBuilder UseKilnCluster(this ISiloBuilder silo, ClusterNodeOptions node)
    {
        var connectionString = PostgresConnectionString.Parse(node.Store);
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = ClusterNodeOptions.ClusterId;
            options.ServiceId = ClusterNodeOptions.ServiceId;
        });
        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = "Npgsql";
            options.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = "Npgsql";
            options.ConnectionString = connectionString;
        });
        silo.ConfigureEndpoints(
            node.Advertise,
            node.SiloPort == 0 ? FreePort(node.Advertise) : node.SiloPort,
            node.GatewayPort == 0 ? FreePort(node.Advertise) : node.GatewayPort,
            listenOnAnyHostAddress: !IPAddress.IsLoopback(node.Advertise));
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            // A node that dies without saying goodbye (SIGKILL, power loss) is voted dead after three missed
            // 2-second probes; its jobs resume at their next watchdog tick. IAmAlive rows are what the version
            // check at start-up reads, so they are refreshed often.
            options.ProbeTimeout = TimeSpan.FromSeconds(2);
            options.NumMissedProbesLimit = 3;
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
            options.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            options.DefunctSiloExpiration = TimeSpan.FromHours(1);
        });
        // Endpoints: replicas are grains spread over the workers, and each endpoint's bandit is one grain (Endpoints/).
        silo.Services.AddPlacementDirector<ReplicaPlacementStrategy, ReplicaPlacementDirector>();
        silo.Services.AddSingleton<IEndpointCluster, OrleansEndpointCluster>();
        return silo;
    }

    private static int FreePort(IPAddress address) => UnusedPort.Pick(IPAddress.IsLoopback(address) ? address : IPAddress.Any);
}
