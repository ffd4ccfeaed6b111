using System.CommandLine;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln server</c>: run Kiln on the embedded default (SQLite + local files) until stopped.</summary>
internal static class ServerCommand
{
    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
    public static readonly Option<int> Port = new("--port", "-p") { Description = "Port to listen on", DefaultValueFactory = _ => 5000 };
    public static readonly Option<string> DataDir = new("--data-dir") { Description = "Folder for the metadata database and artifacts", DefaultValueFactory = _ => ".kiln" };

    public static readonly Option<string> Store = new("--store")
    {
        Description = "Keep metadata in PostgreSQL (postgres://USER[:PASS]@HOST:PORT/DB) instead of the embedded SQLite database; migrated at start-up",
    };

    public static readonly Option<string?> OnlineStore = new("--online-store")
    {
        Description = "Keep Feature Store's online store (latest record per identifier) in Redis (redis://[[USER]:PASS@]HOST[:PORT][/DB][?prefix=KEYPREFIX], rediss:// for TLS) " +
            "instead of the metadata store: for cluster mode, where it takes record reads and writes off PostgreSQL (bench/README.md). Every node of a cluster must name the same Redis",
    };

    public static readonly Option<int> JobWatchdogSeconds = new("--job-watchdog-seconds")
    {
        Description = "How often the job engine looks for interrupted jobs (training, processing, pipeline executions) to resume",
        DefaultValueFactory = _ => 60,
    };

    public static readonly Option<int> JobSlots = new("--job-slots")
    {
        Description = "How many jobs this node runs at once; more wait in order (0 accepts jobs without running them until a node with slots takes them over)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static readonly Option<string[]> AllowFileRoot = new("--allow-file-root")
    {
        Description = "A folder file:// URIs (channels, inputs, outputs, model data, artifact locations) may name; repeatable. Without it, every local path is allowed",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> Artifacts = new("--artifacts")
    {
        Description = "Keep artifact and object bytes in S3 (s3://BUCKET/PREFIX) instead of under --data-dir; credentials and region come from the AWS environment variables or profile",
    };

    public static readonly Option<string?> S3Endpoint = new("--s3-endpoint")
    {
        Description = "URL of an S3-compatible server (MinIO, Ceph, moto…) for --artifacts; without it, AWS S3",
    };

    public static readonly Option<int> SiloPort = new("--silo-port")
    {
        Description = "Cluster mode: the port other nodes reach this node's Orleans silo on (default: a free port)",
    };

    public static readonly Option<int> GatewayPort = new("--gateway-port")
    {
        Description = "Cluster mode: this node's Orleans gateway port (default: a free port)",
    };

    public static readonly Option<string> Advertise = new("--advertise")
    {
        Description = "Cluster mode: the IP address of this machine other nodes reach it at",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    public static readonly Option<bool> Auth = new("--auth")
    {
        Description = "Require credentials on every request: SigV4 access keys for the AWS APIs, basic or bearer auth for MLflow, a login page for Studio (create users with 'kiln users create')",
    };

    public static readonly Option<bool> InsecureNoAuth = new("--insecure-no-auth")
    {
        Description = "Allow listening on a non-loopback address without --auth (anyone who reaches the port can run code on this machine)",
    };

    public static readonly Option<string> DefaultPermission = new("--default-permission")
    {
        Description = "Under --auth, the permission users have on experiments and registered models nobody gave them one on: READ (MLflow's default), EDIT, MANAGE or NO_PERMISSIONS",
        DefaultValueFactory = _ => "READ",
    };

    public static readonly Option<string?> AllowedHosts = new("--allowed-hosts")
    {
        Description = "Only answer requests whose Host header is one of these names (comma-separated, *.domain wildcards); others get 400",
    };

    public static readonly Option<int> RateLimit = new("--rate-limit")
    {
        Description = "Requests per second each access key (or, unauthenticated, each client address) may make; over it, each API's throttling error. 0: no limit",
    };

    public static readonly Option<string?> TlsCert = new("--tls-cert") { Description = "Serve HTTPS with this PEM certificate (chain); needs --tls-key" };

    public static readonly Option<string?> TlsKey = new("--tls-key") { Description = "The PEM private key of --tls-cert" };

    public static Command Create()
    {
        var command = new Command("server", "Start the Kiln server: the embedded store (SQLite metadata, local artifacts) unless --store names PostgreSQL and --artifacts S3.")
        {
            Host, Port, DataDir, Store, OnlineStore, Artifacts, S3Endpoint, JobWatchdogSeconds, JobSlots, SiloPort, GatewayPort, Advertise, AllowFileRoot, Auth, InsecureNoAuth, DefaultPermission, AllowedHosts, RateLimit, TlsCert, TlsKey,
        };
        DefaultPermission.AcceptOnlyFromAmong([.. Kiln.Core.Security.Permissions.PermissionNames.All]);
        command.SetAction(async (result, ct) =>
        {
            var options = Options(result) with
            {
                Host = result.GetValue(Host)!,
                Port = result.GetValue(Port),
                AllowedFileRoots = result.GetValue(AllowFileRoot) is { Length: > 0 } roots ? roots.Select(Path.GetFullPath).ToList() : null,
                Auth = result.GetValue(Auth),
                InsecureNoAuth = result.GetValue(InsecureNoAuth),
                DefaultPermission = Kiln.Core.Security.Permissions.PermissionNames.Parse(result.GetValue(DefaultPermission)),
                RateLimit = result.GetValue(RateLimit),
                TlsCert = result.GetValue(TlsCert) is { } cert ? Path.GetFullPath(cert) : null,
                TlsKey = result.GetValue(TlsKey) is { } key ? Path.GetFullPath(key) : null,
                AllowedHosts = result.GetValue(AllowedHosts)?.Split(',', StringSplitOptions.TrimEntries),
            };
            // Exit 1: an option is wrong in itself; exit 2: a store it names cannot be used.
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message.Split(" (Parameter", 2)[0]}");
                return 1;
            }

            try
            {
                // A store that cannot be used stops start-up here, before the node serves or joins anything.
                await KilnServer.CheckStorageAsync(options, ct);
                await KilnServer.CheckClusterAsync(options, ct);
            }
            catch (Exception e) when (e is StorageUnavailableException or KilnStartupException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"kiln server: {e.Message}");
                return 2;
            }

            WebApplication started;
            try
            {
                started = await KilnServer.StartAsync(options, ct: ct);
            }
            catch (KilnStartupException e)
            {
                await Console.Error.WriteLineAsync($"kiln server: {e.Message}");
                return 2;
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await Console.Error.WriteLineAsync($"kiln server: {e.Message} Choose another --port, or 0 for any free one.");
                return 2;
            }

            await using var app = started;
            Announce(app, options);
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>The options a server and a worker share: data folder, stores, job slots and the cluster endpoint.</summary>
    public static KilnServerOptions Options(ParseResult result) => new()
    {
        DataDirectory = Path.GetFullPath(result.GetValue(DataDir)!),
        JobWatchdogPeriod = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(JobWatchdogSeconds))),
        JobSlots = Math.Max(0, result.GetValue(JobSlots)),
        Artifacts = result.GetValue(Artifacts),
        S3Endpoint = result.GetValue(S3Endpoint),
        Store = result.GetValue(Store),
        OnlineStore = result.GetValue(OnlineStore),
        SiloPort = result.GetValue(SiloPort),
        GatewayPort = result.GetValue(GatewayPort),
        Advertise = result.GetValue(Advertise)!,
    };

    public static void Announce(WebApplication app, KilnServerOptions options)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln");
        foreach (var address in app.Addresses())
        {
            logger.LogInformation("Kiln listening on {Address} (MLflow API at {Address}/api/2.0/mlflow, health at {Address}/health)", address, address, address);
        }

        if (options.Store is { } store)
        {
            logger.LogInformation("Metadata: PostgreSQL at {Database}", Kiln.Storage.Postgres.PostgresConnectionString.Describe(store));
        }
        else
        {
            logger.LogInformation("Metadata: SQLite (WAL) at {Database}", options.DatabasePath);
        }

        if (options.RedisOnlineStore is { } redis)
        {
            logger.LogInformation("Feature Store online store: Redis at {Redis}", redis.ToString());
        }

        if (options.S3Artifacts is { } s3)
        {
            logger.LogInformation("Artifacts: S3 at {Artifacts} ({Endpoint})", s3.Uri, s3.Endpoint?.ToString() ?? "AWS");
        }
        else
        {
            logger.LogInformation("Artifacts: local files under {Artifacts}", options.ArtifactDirectory);
        }

        logger.LogInformation("Authentication: {Auth}", options.Auth ? "on (SigV4, basic and bearer credentials of 'kiln users')" : "off: every caller is trusted");
        logger.LogInformation("file:// URIs: {Roots}", options.FileRoots.AllowsAll ? "any local path (no --allow-file-root)" : options.FileRoots.Roots.Count == 0 ? "none (--auth without --allow-file-root)" : "only under " + string.Join(", ", options.FileRoots.Roots));
    }
}
