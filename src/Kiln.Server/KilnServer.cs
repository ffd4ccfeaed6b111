using System.Net;
using Kiln.Api.FeatureStoreRuntime;
using Kiln.Api.MLflow;
using Kiln.Api.Native;
using Kiln.Api.S3;
using Kiln.Api.SageMaker;
using Kiln.Api.SageMakerRuntime;
using Kiln.Api.Security;
using Kiln.Api.Security.Audit;
using Kiln.Api.Security.Limits;
using Kiln.Artifacts.FileSystem;
using Kiln.Artifacts.S3;
using Kiln.AutoML;
using Kiln.AutoML.Data;
using Kiln.Cluster;
using Kiln.Core.Cluster;
using Kiln.Core.FeatureStore;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
using Kiln.Core.Logs;
using Kiln.Core.Objects;
using Kiln.Core.Registry;
using Kiln.Core.Security;
using Kiln.Core.Tracking;
using Kiln.FeatureStore;
using Kiln.Jobs.Silo;
using Kiln.Pipelines;
using Kiln.Processing;
using Kiln.Processing.Monitoring;
using Kiln.Serving;
using Kiln.Serving.Models;
using Kiln.Storage.Postgres;
using Kiln.Storage.Redis;
using Kiln.Storage.Sqlite;
using Kiln.Studio;
using Kiln.Training;
using Kiln.Training.Jobs;
using Kiln.Tuning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Server;

/// <summary>Builds the Kiln web application: the table of contents of what one Kiln process serves.</summary>
public static class KilnServer
{
    /// <summary>Builds the server (<see cref="Build"/>) and starts it, with <see cref="StartWithFreshSiloPortAsync"/>'s retry.</summary>
    public static Task<WebApplication> StartAsync(KilnServerOptions options, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default) =>
        StartWithFreshSiloPortAsync(options, () => Build(options, configure), ct);

    /// <summary>Builds a worker (<see cref="BuildWorker"/>) and starts it, with <see cref="StartWithFreshSiloPortAsync"/>'s retry.</summary>
    public static Task<IHost> StartWorkerAsync(KilnServerOptions options, Action<HostApplicationBuilder>? configure = null, CancellationToken ct = default) =>
        StartWithFreshSiloPortAsync(options, () => BuildWorker(options, configure), ct);

    /// <summary>
    /// Orleans must be told its silo port before it binds it, so a port Kiln picks (<see cref="UnusedPort"/>, when
    /// <c>--silo-port</c> is not given) can be taken in between by another process picking at the same moment. That
    /// start fails with Orleans' <see cref="Microsoft.AspNetCore.Connections.AddressInUseException"/> and is made
    /// again with a new pick; a port the user chose is never changed.
    /// </summary>
    private static async Task<THost> StartWithFreshSiloPortAsync<THost>(KilnServerOptions options, Func<THost> build, CancellationToken ct)
        where THost : IHost
    {
        for (var attempt = 1; ; attempt++)
        {
            var host = build();
            try
            {
                await host.StartAsync(ct);
                return host;
            }
            catch (Microsoft.AspNetCore.Connections.AddressInUseException) when (attempt < 3 && options.SiloPort == 0 && options.GatewayPort == 0)
            {
                await DisposeAsync(host);
            }
            catch
            {
                await DisposeAsync(host);
                throw;
            }
        }

        static async Task DisposeAsync(IHost host)
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    public static WebApplication Build(KilnServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        // Kiln has no appsettings files, and reloading them costs a watcher over the working directory's whole tree
        // (an inotify instance, and tens of seconds at start when that is / on a busy machine).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        var certificate = options.LoadTlsCertificate();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            LimitClients(kestrel.Limits);
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        builder.WebHost.UseUrls($"{(certificate is null ? "http" : "https")}://{options.Host}:{options.Port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // ASP.NET Core starts an Activity and a logging scope for every request whenever this category logs at
        // any level; it only logs request start/finish, so turning it off saves that on every invocation.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddKiln(options);
        if (options.AllowedHosts is { } hosts)
        {
            builder.Services.AddHostFiltering(filter =>
            {
                filter.AllowedHosts = [.. hosts];
                filter.AllowEmptyHosts = false;
                filter.IncludeFailureMessage = true;
            });
        }

        if (options.RateLimit > 0)
        {
            builder.Services.AddKilnRateLimits(options.RateLimit);
        }

        // Studio's cookies and antiforgery tokens are signed with these keys: kept in the data folder, a signed-in
        // browser stays signed in across restarts (and nodes sharing the folder accept each other's cookies).
        builder.Services.AddDataProtection()
            .SetApplicationName("kiln")
            .PersistKeysToFileSystem(new DirectoryInfo(options.DataProtectionKeysDirectory));
        // Studio is part of the web host only: a node built without one (a test silo, a future worker) has no pages.
        builder.Services.AddKilnStudio();
        if (options.Auth)
        {
            builder.Services.AddKilnStudioSessions();
        }
        builder.UseOrleans(silo => ConfigureSilo(silo, options, "server"));
        configure?.Invoke(builder);

        var app = builder.Build();
        if (options.AllowedHosts is not null)
        {
            // First of all: a request for another host name gets 400 before anything reads it.
            app.UseHostFiltering();
        }

        // Before authentication, so refused credentials are recorded too.
        app.UseKilnAudit();
        if (options.Auth)
        {
            // First: nothing below runs for a request whose credentials are missing or wrong.
            app.UseKilnAuthentication();
            app.LeaveOutAspNetAuthenticationMiddleware();
        }

        if (options.RateLimit > 0)
        {
            app.UseKilnRateLimits();
        }

        app.UseS3Api();
        app.UseMlflowApi();
        app.UseKilnStudio();
        app.MapGet("/health", (KilnServerOptions o) => Results.Json(o.Store is { } store
            ? new HealthReport("ok", "postgres", PostgresConnectionString.Describe(store), o.S3Artifacts?.Uri ?? o.ArtifactDirectory)
            : new HealthReport("ok", "sqlite", o.DatabasePath, o.S3Artifacts?.Uri ?? o.ArtifactDirectory), KilnServerJson.Default.HealthReport));
        app.MapMlflowApi();
        app.MapSageMakerApi();
        app.MapSageMakerRuntimeApi();
        app.MapFeatureStoreRuntimeApi();
        app.MapNativeApi();
        app.MapAuditApi();
        app.MapUsersApi();
        app.MapKilnStudio();
        return app;
    }

    /// <summary>
    /// A worker node (<c>kiln worker</c>): the same services and job runners as a server, joined to the cluster as an
    /// Orleans silo, with no HTTP listener and so no public API. Cluster mode only (it needs <c>--store</c>).
    /// </summary>
    public static IHost BuildWorker(KilnServerOptions options, Action<HostApplicationBuilder>? configure = null)
    {
        if (options.Store is null)
        {
            throw new ArgumentException("kiln worker needs --store postgres://… (and --artifacts s3://…): a worker joins a cluster's shared store.", nameof(options));
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddKiln(options);
        builder.UseOrleans(silo => ConfigureSilo(silo, options, "worker"));
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>
    /// This node's silo. Embedded (no <c>--store</c>): one silo on localhost clustering, reminders in SQLite. Cluster
    /// mode: membership and reminders in the <c>--store</c> database (Kiln.Cluster), the node named by its role.
    /// </summary>
    private static void ConfigureSilo(Orleans.Hosting.ISiloBuilder silo, KilnServerOptions options, string role)
    {
        if (options.Store is { } store)
        {
            silo.UseKilnCluster(new ClusterNodeOptions
            {
                Store = store,
                Role = role,
                Advertise = IPAddress.Parse(options.Advertise),
                SiloPort = options.SiloPort,
                GatewayPort = options.GatewayPort,
            });
        }
        else
        {
            // No Orleans client connects from outside the process, so the gateway stays closed unless asked for.
            silo.UseLocalhostClustering(siloPort: options.SiloPort == 0 ? UnusedPort.Pick(IPAddress.Loopback) : options.SiloPort, gatewayPort: options.GatewayPort, serviceId: "kiln", clusterId: "kiln-embedded");
        }

        silo.AddKilnJobEngine(engine =>
        {
            engine.JobSlots = options.JobSlots;
            engine.WatchdogPeriod = options.JobWatchdogPeriod;
            engine.Role = role;
        });
    }

    /// <summary>
    /// In cluster mode, refuses to start a node when a live node of the cluster runs another Kiln version
    /// (<see cref="ClusterVersionCheck"/>); throws <see cref="KilnStartupException"/> with the one line to print.
    /// </summary>
    public static async Task CheckClusterAsync(KilnServerOptions options, CancellationToken ct = default)
    {
        if (options.Store is not { } store)
        {
            return;
        }

        string? refusal;
        try
        {
            refusal = await ClusterVersionCheck.RefusalAsync(store, Kiln.Jobs.KilnVersion.Current, ct).ConfigureAwait(false);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            // A new store: its first node creates the cluster's tables at start-up, so nobody else is there yet.
            return;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or FormatException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new KilnStartupException($"Cannot use the metadata store --store {PostgresConnectionString.Describe(store)}: {e.Message}", e);
        }

        if (refusal is not null)
        {
            throw new KilnStartupException(refusal, new InvalidOperationException(refusal));
        }
    }

    /// <summary>
    /// Everything one Kiln node runs, area by area: the storage choice (SQLite and local files in the embedded
    /// default), then each area's services and job runners, then what the API dialects need from the host.
    /// </summary>
    public static IServiceCollection AddKiln(this IServiceCollection services, KilnServerOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options.FileRoots);

        if (options.Store is { } store)
        {
            services.AddKilnPostgres(OpenStore(store), MlflowApi.ArtifactScheme);
            // Every store is in PostgreSQL, the job engine's reminders included (see ConfigureSilo). The node's SQLite file is
            // only registered because the embedded reminder table's registration names it; it is not used under --store.
            services.AddSingleton(_ => new SqliteDatabase(options.DatabasePath));
        }
        else
        {
            services.AddKilnSqlite(options.DatabasePath, MlflowApi.ArtifactScheme);
        }

        if (options.RedisOnlineStore is { } redis)
        {
            services.AddKilnRedisOnlineStore(redis);
        }

        services.AddSingleton<AuditWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<AuditWriter>());

        // The secrets key is read (or created) on first use, so a server without --auth never writes one.
        services.AddSingleton(_ => SecretBox.ForDataDirectory(Path.GetFullPath(options.DataDirectory)));
        services.AddSingleton<Users>();
        services.AddSingleton(new Kiln.Core.Security.Permissions.PermissionSettings(options.DefaultPermission));
        services.AddSingleton<Kiln.Core.Security.Permissions.ResourcePermissions>();
        services.AddSingleton<Kiln.Api.Security.Permissions.LineagePermissions>();
        if (options.S3Artifacts is { } s3)
        {
            services.AddKilnS3Artifacts(s3);
        }
        else
        {
            services.AddKilnFileArtifacts(options.ArtifactDirectory, options.ObjectDirectory, options.ArtifactUploadDirectory);
        }

        services.AddSingleton(new ObjectLimits(options.MaxObjectUploadBytes));
        services.AddKilnObjects();
        services.AddKilnTracking();
        services.AddKilnRegistry();
        services.AddKilnLineage();
        services.AddKilnTraining(new TrainingWorkspace(options.JobsDirectory));
        services.AddKilnProcessing(new ProcessingWorkspace(options.ProcessingDirectory));
        services.AddKilnServing(new ServingWorkspace(options.ServingDirectory));
        services.AddKilnTuning();
        services.AddKilnAutoML(new AutoMLWorkspace(options.AutoMLDirectory));
        services.AddKilnPipelines();
        services.AddKilnMonitoring();
        services.AddKilnFeatureStoreWithOfflineStore(Path.Combine(Path.GetFullPath(options.DataDirectory), "feature-store", "offline-cache"));

        // Before the silo starts: kill job scripts this node left running when it last died (see ProcessGroupLedger).
        services.AddHostedService(provider => new ProcessGroupReaper(Path.Combine(Path.GetFullPath(options.DataDirectory), "process-groups"), provider.GetRequiredService<ILogger<ProcessGroupReaper>>()));
        services.AddSageMakerPipelineOperations();
        services.AddSingleton<ILogFiles, TrainingLogFiles>();
        services.AddSingleton<JobLogFiles>();
        if (options.Store is null)
        {
            services.AddSingleton<IJobLogFiles>(provider => provider.GetRequiredService<JobLogFiles>());
        }
        else
        {
            // A job's logs are on the node that ran it: copied to the shared store as they grow, read from there elsewhere.
            services.AddSingleton<JobLogArchive>();
            services.AddSingleton<IJobRunCompanion, JobLogShipper>();
            services.AddSingleton<IJobLogFiles>(provider => new SharedJobLogFiles(
                provider.GetRequiredService<JobLogFiles>(), provider.GetRequiredService<JobLogArchive>(), Path.Combine(Path.GetFullPath(options.DataDirectory), "job-log-cache")));
        }

        return services;
    }

    /// <summary>
    /// Checks, before anything starts, that the stores the options name can be used; throws
    /// <see cref="StorageUnavailableException"/> with one line saying which and why. The embedded default has nothing to check.
    /// </summary>
    public static async Task CheckStorageAsync(KilnServerOptions options, CancellationToken ct = default)
    {
        options.Validate();
        if (options.RedisOnlineStore is { } redis)
        {
            try
            {
                await RedisServiceCollectionExtensions.CheckReachableAsync(redis).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                throw new StorageUnavailableException($"--online-store {redis}: cannot use the Redis server: {e.Message.Split('\n', 2)[0]}", e);
            }
        }

        if (options.S3Artifacts is not { } s3)
        {
            return;
        }

        var where = s3.Endpoint is null ? s3.Uri : $"{s3.Uri} at {s3.Endpoint}";
        try
        {
            using var client = s3.CreateClient();
            await s3.Store(client, "").CheckReachableAsync(ct).ConfigureAwait(false);
        }
        catch (Amazon.S3.AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            throw new StorageUnavailableException($"--artifacts {where}: the bucket {s3.Bucket} does not exist.", e);
        }
        catch (Amazon.Runtime.AmazonServiceException e)
        {
            throw new StorageUnavailableException($"--artifacts {where}: S3 refused ({(int)e.StatusCode} {e.ErrorCode}): {e.Message}", e);
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonClientException or HttpRequestException or IOException or TaskCanceledException)
        {
            var reason = e.InnerException is HttpRequestException inner ? inner.Message : e.Message;
            throw new StorageUnavailableException($"--artifacts {where}: cannot use the S3 store: {reason}", e);
        }
    }

    /// <summary>Opens and migrates the <c>--store</c> database now, so a wrong or unreachable one stops start-up with one clear line.</summary>
    private static PostgresDatabase OpenStore(string store)
    {
        try
        {
            return new PostgresDatabase(store);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or FormatException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new KilnStartupException($"Cannot use the metadata store --store {Describe(store)}: {e.Message}", e);
        }

        static string Describe(string store)
        {
            try
            {
                return PostgresConnectionString.Describe(store);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                return "(not a postgres:// URL)";
            }
        }
    }

    /// <summary>The base URLs the server actually listens on (resolves port 0 after start).</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>
    /// Bounds on what one client may make the server hold or wait for, so a slow or hostile client costs a
    /// connection, not memory or a thread. Headers: SigV4 requests carry a few KiB of headers and presigned S3 URLs
    /// a request line of 1–3 KiB, so 32 KiB of headers and 16 KiB of request line leave room for any SDK while
    /// refusing header floods (431, 414). Time: a client gets 30 s to send its headers (against slowloris) and must
    /// send its body at 240 bytes/s or more after a 5 s grace (against trickled uploads holding a request open);
    /// large uploads are fine, only stalled ones are cut. Body sizes are bounded per endpoint (Kestrel's 30 MB
    /// default; the S3 API lifts it for object data, which the object store bounds at MaxObjectUploadBytes).
    /// </summary>
    internal static void LimitClients(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits)
    {
        limits.MaxRequestHeadersTotalSize = 32 * 1024;
        limits.MaxRequestHeaderCount = 100;
        limits.MaxRequestLineSize = 16 * 1024;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
    }

}

internal sealed partial class ProcessGroupReaper(string directory, ILogger<ProcessGroupReaper> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var killed = Kiln.Training.Containers.ProcessGroupLedger.Open(directory);
        if (killed > 0)
        {
            LogKilled(killed);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killed {Count} job process group(s) orphaned when this node last stopped without shutting down; their jobs were retried elsewhere")]
    private partial void LogKilled(int count);
}

internal sealed class TrainingLogFiles(IJobLogFiles logs) : ILogFiles
{
    public string TrainingJobLog(string name) => logs.LogFile(JobLogKind.TrainingJob, name);
}

/// <summary>The job logs on this node, by kind: each kind's workspace keeps one log file per job.</summary>
internal sealed class JobLogFiles(TrainingWorkspace training, ProcessingWorkspace processing, ServingWorkspace hosting) : IJobLogFiles
{
    public IEnumerable<string> Jobs(JobLogKind kind)
    {
        var root = kind switch
        {
            JobLogKind.TrainingJob => training.JobsDirectory,
            JobLogKind.ProcessingJob => processing.Root,
            _ => hosting.TransformDirectory,
        };
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>().Where(job => File.Exists(LogFile(kind, job)))
            : [];
    }

    public string LogFile(JobLogKind kind, string job) => kind switch
    {
        JobLogKind.TrainingJob => training.LogFile(job),
        JobLogKind.ProcessingJob => processing.LogFile(job),
        _ => hosting.TransformLogFile(job),
    };
}

/// <summary>A store named on the command line cannot be used; the message is the one line start-up prints.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>A node could not start: what failed, in one line for the operator.</summary>
public sealed class KilnStartupException(string message, Exception inner) : Exception(message, inner);

public sealed record HealthReport(string Status, string MetadataStore, string Database, string Artifacts);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class KilnServerJson : System.Text.Json.Serialization.JsonSerializerContext;
