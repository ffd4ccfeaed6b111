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

    public static Command Create()
    {
        var command = new Command("server", "Start the Kiln server: the embedded store (SQLite metadata, local artifacts) unless --store names PostgreSQL.") { Host, Port, DataDir, Store, JobWatchdogSeconds, JobSlots, AllowFileRoot };
        command.SetAction(async (result, ct) =>
        {
            var options = new KilnServerOptions
            {
                Host = result.GetValue(Host)!,
                Port = result.GetValue(Port),
                DataDirectory = Path.GetFullPath(result.GetValue(DataDir)!),
                JobWatchdogPeriod = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(JobWatchdogSeconds))),
                JobSlots = Math.Max(0, result.GetValue(JobSlots)),
                AllowedFileRoots = result.GetValue(AllowFileRoot) is { Length: > 0 } roots ? roots.Select(Path.GetFullPath).ToList() : null,
                Store = result.GetValue(Store),
            };
            WebApplication built;
            try
            {
                built = KilnServer.Build(options);
            }
            catch (Exception e) when (e is KilnStartupException or ArgumentException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }

            await using var app = built;
            await app.StartAsync(ct);
            Announce(app, options);
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

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

        logger.LogInformation("Artifacts: local files under {Artifacts}", options.ArtifactDirectory);
        logger.LogInformation("file:// URIs: {Roots}", options.FileRoots.AllowsAll ? "any local path (no --allow-file-root)" : "only under " + string.Join(", ", options.FileRoots.Roots));
    }
}
