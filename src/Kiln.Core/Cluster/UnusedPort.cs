using System.Net;
using System.Net.Sockets;

namespace Kiln.Core.Cluster;

/// <summary>
/// Picks a TCP port for a listener that is opened later by someone else (Orleans' silo endpoint, a test's server).
/// </summary>
/// <remarks>
/// Asking the OS for port 0 and closing the socket hands out a port from the ephemeral range, which stays up for
/// grabs until the real listener binds it: any outgoing connection or other port-0 bind on the machine can take it
/// in between, and the listener then fails with "address already in use". A port below the ephemeral range is never
/// handed out that way, so only another explicit pick of the same port can collide.
/// </remarks>
public static class UnusedPort
{
    private const int Lowest = 20_000;
    private const int DefaultEphemeralStart = 32_768;
    private const int Attempts = 64;

    public static int Pick(IPAddress address)
    {
        var below = EphemeralRangeStart();
        for (var attempt = 0; attempt < Attempts && below > Lowest; attempt++)
        {
            var port = Random.Shared.Next(Lowest, below);
            if (IsFree(address, port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Linux says where its range starts; the default (32768) is also below Windows' and macOS' 49152.</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out var start) ? Math.Min(start, DefaultEphemeralStart) : DefaultEphemeralStart;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return DefaultEphemeralStart;
        }
    }
}
