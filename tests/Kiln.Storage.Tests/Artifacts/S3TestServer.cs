using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Artifacts.S3;

namespace Kiln.Storage.Tests.Artifacts;

/// <summary>
/// An S3-compatible server for the tests: the one <c>KILN_TEST_S3_ENDPOINT</c> names (CI starts one), or else moto's
/// server, started here on a free loopback port once per test process and stopped with it. Without either, S3
/// tests are skipped, unless <c>KILN_TEST_S3_REQUIRED=1</c> says this machine must run them (CI), where they fail.
/// </summary>
public static class S3TestServer
{
    public const string EndpointVariable = "KILN_TEST_S3_ENDPOINT";

    private static readonly Lazy<string?> Unavailability = new(FindUnavailability);
    private static readonly Lazy<Task<Uri>> Server = new(StartAsync);

    /// <summary>Why S3 tests cannot run here, or null when they can.</summary>
    public static string? SkipReason =>
        Environment.GetEnvironmentVariable("KILN_TEST_S3_REQUIRED") == "1" ? null : Unavailability.Value;

    /// <summary>The key the test server is asked with: the environment's when it has one (moto accepts any).</summary>
    public static string AccessKeyId { get; } = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } key ? key : "kiln-test";

    public static string SecretAccessKey { get; } = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 }
        ? Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? ""
        : "kiln-test-secret";

    public static AWSCredentials Credentials { get; } = new BasicAWSCredentials(AccessKeyId, SecretAccessKey);

    public static Task<Uri> EndpointAsync() => Server.Value;

    /// <summary>A client for the test server, configured as Kiln configures its own for an S3-compatible endpoint.</summary>
    public static async Task<AmazonS3Client> ClientAsync() =>
        new S3ArtifactLocation("unused", "", await EndpointAsync()).CreateClient(Credentials);

    private static string? FindUnavailability()
    {
        if (Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 })
        {
            return null;
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import moto.server"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            if (probe.WaitForExit(30_000) && probe.ExitCode == 0)
            {
                return null;
            }

            if (!probe.HasExited)
            {
                probe.Kill();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        return $"No S3-compatible server: set {EndpointVariable}, or install moto's server for {Python} (pip install 'moto[server]').";
    }

    private static string Python => Environment.GetEnvironmentVariable("KILN_TEST_PYTHON") ?? "python3";

    private static async Task<Uri> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } given)
        {
            return new Uri(given);
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        // The server exits when its standard input closes, so it cannot outlive this test process, however that ends.
        var script = "import os, sys, threading\n"
            + "threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()\n"
            + "from moto.server import main\n"
            + $"main(['-H', '127.0.0.1', '-p', '{port}'])\n";
        var process = Process.Start(new ProcessStartInfo(Python, ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("moto's server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        };

        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"moto's server exited with code {process.ExitCode}.");
            }

            try
            {
                using var response = await http.GetAsync(endpoint);
                return endpoint;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }

        throw new TimeoutException("moto's server did not answer within 60 s.");
    }
}

/// <summary>A test that needs an S3-compatible server; skipped where <see cref="S3TestServer"/> has none.</summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute() => Skip = S3TestServer.SkipReason;
}

/// <summary>A theory that needs an S3-compatible server; skipped where <see cref="S3TestServer"/> has none.</summary>
public sealed class S3TheoryAttribute : TheoryAttribute
{
    public S3TheoryAttribute() => Skip = S3TestServer.SkipReason;
}

/// <summary>A bucket of its own for one test class, emptied and deleted after it.</summary>
public sealed class S3TestBucket : IAsyncLifetime
{
    public string Name { get; } = $"kiln-test-{Guid.NewGuid():N}"[..30];

    public AmazonS3Client Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (S3TestServer.SkipReason is not null)
        {
            return;
        }

        Client = await S3TestServer.ClientAsync();
        await Client.PutBucketAsync(Name);
    }

    public async Task DisposeAsync()
    {
        if (Client is null)
        {
            return;
        }

        var request = new ListObjectsV2Request { BucketName = Name };
        do
        {
            var page = await Client.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                await Client.DeleteObjectAsync(Name, item.Key);
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        await Client.DeleteBucketAsync(Name);
        Client.Dispose();
    }
}
