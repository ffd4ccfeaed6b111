using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Cli;

/// <summary>
/// <c>kiln features ingest --from redis://…</c> against a real redis-server started here (skipped without one) and a real
/// Kiln server: refused entries dead-lettered, a stopped run's unacknowledged entries replayed without a duplicate,
/// the offline store holding every record once (tests/clients/boto3/feature_store_ingest.py).
/// </summary>
public sealed class FeatureIngestTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [RedisServerFact]
    public async Task Ingest_from_a_redis_stream_resumes_without_loss_or_duplicates()
    {
        using var redis = RedisServer.Start();
        await Boto3.RunAsync(server.BaseAddress, "feature_store_ingest.py", "test_ingest_resumes_without_loss_or_duplicates", TimeSpan.FromMinutes(6),
            Path.Combine(AppContext.BaseDirectory, "kiln.dll"), redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A throw-away redis-server on a free port, no persistence, stopped on dispose.</summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static string? Executable => Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(folder => Path.Combine(folder, "redis-server")).FirstOrDefault(File.Exists);

    public static RedisServer Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var process = Process.Start(new ProcessStartInfo(Executable!, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
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

/// <summary>A fact reported as skipped, with the reason, when no redis-server is on the PATH (.ci/run installs one).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisServerFactAttribute : FactAttribute
{
    public RedisServerFactAttribute()
    {
        if (RedisServer.Executable is null)
        {
            Skip = "redis-server is not on the PATH (apt-get install redis-server): the Redis Streams ingestion test needs one.";
        }
    }
}
