using System.Net;
using System.Net.Sockets;
using Kiln.Api.MLflow;
using Kiln.Api.Native;
using Kiln.Api.S3;
using Kiln.Api.SageMaker;
using Kiln.Api.SageMakerRuntime;
using Kiln.Artifacts.FileSystem;
using Kiln.AutoML;
using Kiln.AutoML.Data;
using Kiln.Core.Artifacts;
using Kiln.Core.AutoML;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
using Kiln.Core.Logs;
using Kiln.Core.Objects;
using Kiln.Core.Pipelines;
using Kiln.Core.Processing;
using Kiln.Core.Registry;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Kiln.Core.Tuning;
using Kiln.Jobs.Silo;
using Kiln.Pipelines;
using Kiln.Processing;
using Kiln.Serving;
using Kiln.Serving.Models;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.AutoML;
using Kiln.Storage.Sqlite.Lineage;
using Kiln.Storage.Sqlite.Objects;
using Kiln.Storage.Sqlite.Pipelines;
using Kiln.Storage.Sqlite.Processing;
using Kiln.Storage.Sqlite.Registry;
using Kiln.Storage.Sqlite.Serving;
using Kiln.Storage.Sqlite.Tracking;
using Kiln.Storage.Sqlite.Training;
using Kiln.Storage.Sqlite.Transform;
using Kiln.Storage.Sqlite.Tuning;
using Kiln.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Jobs;
using Kiln.Training.ScriptMode;
using Kiln.Tuning;
using Microsoft.AspNetCore.Builder;
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
    public static WebApplication Build(KilnServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        options.Validate();
        // Kiln has no appsettings files, and reloading them costs a watcher over the working directory's whole tree
        // (an inotify instance, and tens of seconds at start when that is / on a busy machine).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
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
        builder.Services.AddSingleton(options);
        builder.Services.AddKilnEmbeddedStorage(options);
        builder.Services.AddKilnServices(options);
        builder.UseOrleans(silo =>
        {
            // One in-process silo: localhost clustering on free ports, the job engine, reminders in SQLite.
            silo.UseLocalhostClustering(siloPort: options.SiloPort == 0 ? FreePort() : options.SiloPort, gatewayPort: FreePort(), serviceId: "kiln", clusterId: "kiln-embedded");
            silo.AddKilnJobEngine(engine =>
            {
                engine.JobSlots = options.JobSlots;
                engine.WatchdogPeriod = options.JobWatchdogPeriod;
            });
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseS3Api();
        app.UseMlflowApi();
        app.MapGet("/health", (KilnServerOptions o) => Results.Json(new HealthReport("ok", "sqlite", o.DatabasePath, o.ArtifactDirectory), KilnServerJson.Default.HealthReport));
        app.MapMlflowApi();
        app.MapSageMakerApi();
        app.MapSageMakerRuntimeApi();
        app.MapNativeApi();
        return app;
    }

    /// <summary>SQLite metadata in WAL mode and artifacts on the local file system, both under the data folder.</summary>
    public static IServiceCollection AddKilnEmbeddedStorage(this IServiceCollection services, KilnServerOptions options)
    {
        services.AddSingleton(_ => new SqliteDatabase(options.DatabasePath));
        services.AddSingleton<ITrackingStore>(provider => new SqliteTrackingStore(
            provider.GetRequiredService<SqliteDatabase>(), MlflowApi.ArtifactScheme, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IModelRegistryStore>(provider => new SqliteModelRegistryStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ITrainingJobStore>(provider => new SqliteTrainingJobStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IArtifactStore>(_ => new FileSystemArtifactStore(options.ArtifactDirectory));
        services.AddSingleton<IObjectIndex>(provider => new SqliteObjectIndex(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IServingStore>(provider => new SqliteServingStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ITransformJobStore>(provider => new SqliteTransformJobStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ITuningJobStore>(provider => new SqliteTuningJobStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IAutoMLJobStore>(provider => new SqliteAutoMLJobStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IModelPackageStore>(provider => new SqliteModelPackageStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IPipelineStore>(provider => new SqlitePipelineStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IPipelineExecutionStore>(provider => new SqlitePipelineExecutionStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ILineageStore>(provider => new SqliteLineageStore(provider.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IProcessingJobStore>(provider => new SqliteProcessingJobStore(provider.GetRequiredService<SqliteDatabase>()));
        return services;
    }

    public static IServiceCollection AddKilnServices(this IServiceCollection services, KilnServerOptions options)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<TrackingService>();
        services.AddSingleton<RegistryService>();
        services.AddSingleton<ModelPackageService>();
        services.AddSingleton<LineageService>();
        services.AddSingleton<Kiln.Core.Experiments.ExperimentService>();
        services.AddSingleton<ILineageRecorder>(provider => provider.GetRequiredService<LineageService>());
        services.AddSingleton<IApprovalAction, DeployEndpointOnApproval>();
        // Objects get a file tree of their own: the MLflow artifact proxy can't reach them, nor they it.
        services.AddSingleton(provider => new ObjectStore(
            provider.GetRequiredService<IObjectIndex>(), new FileSystemArtifactStore(options.ObjectDirectory), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new ArtifactUploads(
            provider.GetRequiredService<IArtifactStore>(), new FileSystemArtifactStore(options.ArtifactUploadDirectory), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<DataUris>();
        services.AddSingleton<TrainingJobService>();
        services.AddSingleton(new AlgorithmCatalog());
        services.AddSingleton<ITrainerSource>(provider => provider.GetRequiredService<AlgorithmCatalog>());
        services.AddSingleton(new ScriptModeOptions());
        services.AddSingleton<ITrainerSource, ScriptModeSource>();
        services.AddSingleton<ITrainerCatalog, TrainerCatalog>();
        var workspace = new TrainingWorkspace(options.JobsDirectory);
        services.AddSingleton(workspace);
        services.AddSingleton<Kiln.Api.Native.ILogFiles>(new TrainingLogFiles(workspace));
        services.AddSingleton<TrainingJobEvents>();
        services.AddSingleton<IJobRunner, TrainingJobRunner>();
        var hostingWorkspace = new ServingWorkspace(options.ServingDirectory);
        var processingWorkspace = new ProcessingWorkspace(options.ProcessingDirectory);
        services.AddSingleton<IJobLogFiles>(new JobLogFiles(workspace, processingWorkspace, hostingWorkspace));
        services.AddKilnServing(hostingWorkspace);
        services.AddKilnTuning();
        services.AddKilnAutoML(new AutoMLWorkspace(options.AutoMLDirectory));
        services.AddKilnProcessing(processingWorkspace);
        services.AddKilnPipelines();
        services.AddSageMakerPipelineOperations();
        return services;
    }

    /// <summary>The base URLs the server actually listens on (resolves port 0 after start).</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal sealed class TrainingLogFiles(TrainingWorkspace workspace) : ILogFiles
{
    public string TrainingJobLog(string name) => workspace.LogFile(name);
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

public sealed record HealthReport(string Status, string MetadataStore, string Database, string Artifacts);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class KilnServerJson : System.Text.Json.Serialization.JsonSerializerContext;
