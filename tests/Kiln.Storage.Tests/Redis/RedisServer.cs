using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kiln.Storage.Tests.Redis;

/// <summary>
/// A throw-away redis-server on a free loopback port, no persistence, stopped on dispose. Tests that need one skip
/// without redis-server on the PATH, unless <c>KILN_TEST_REDIS_REQUIRED=1</c> says this machine must run them (CI),
/// where they fail. Kiln.Api.Tests links this file.
/// </summary>
public sealed class RedisServer : IDisposable
{
    public const string RequiredVariable = "KILN_TEST_REDIS_REQUIRED";

    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The <c>--online-store</c> URL of this server's database 0.</summary>
    public string Url => "redis://127.0.0.1:" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string? Executable => Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(folder => Path.Combine(folder, "redis-server")).FirstOrDefault(File.Exists);

    /// <summary>Why Redis tests cannot run here, or null when they can (or must: then starting one fails the test).</summary>
    public static string? SkipReason =>
        Executable is not null || Environment.GetEnvironmentVariable(RequiredVariable) == "1"
            ? null
            : $"redis-server is not on the PATH (apt-get install redis-server; {RequiredVariable}=1 makes this a failure).";

    public static RedisServer Start()
    {
        var executable = Executable ?? throw new InvalidOperationException($"redis-server is not on the PATH, and {RequiredVariable}=1 says Redis tests must run.");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var process = Process.Start(new ProcessStartInfo(executable, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new RedisServer(process, port);
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        process.Kill();
        throw new InvalidOperationException($"redis-server did not listen on port {port}.");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
