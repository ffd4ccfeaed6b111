using System.CommandLine;
using Kiln.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln worker</c>: join a cluster (its PostgreSQL store) and run jobs; serves no API.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var command = new Command("worker", "Join a Kiln cluster as a worker: runs training, processing, tuning, pipeline steps and monitoring executions; serves no API. Needs --store postgres://… and --artifacts s3://….")
        {
            ServerCommand.DataDir, ServerCommand.Store, ServerCommand.OnlineStore, ServerCommand.Artifacts, ServerCommand.S3Endpoint, ServerCommand.JobWatchdogSeconds,
            ServerCommand.JobSlots, ServerCommand.SiloPort, ServerCommand.GatewayPort, ServerCommand.Advertise,
        };
        command.SetAction(async (result, ct) =>
        {
            var options = ServerCommand.Options(result);
            try
            {
                options.Validate();
                if (options.Store is null || options.Artifacts is null)
                {
                    throw new ArgumentException("kiln worker needs --store postgres://USER[:PASS]@HOST:PORT/DB and --artifacts s3://BUCKET/PREFIX: a worker shares the cluster's stores.");
                }
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message.Split(" (Parameter", 2)[0]}");
                return 1;
            }

            IHost host;
            try
            {
                await KilnServer.CheckStorageAsync(options, ct);
                await KilnServer.CheckClusterAsync(options, ct);
                host = await KilnServer.StartWorkerAsync(options, ct: ct);
            }
            catch (Exception e) when (e is StorageUnavailableException or KilnStartupException)
            {
                await Console.Error.WriteLineAsync($"kiln worker: {e.Message}");
                return 2;
            }

            using (host)
            {
                var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln");
                logger.LogInformation("Kiln worker joined the cluster in {Store} with {Slots} job slots (version {Version})",
                    Kiln.Storage.Postgres.PostgresConnectionString.Describe(options.Store!), options.JobSlots, Kiln.Jobs.KilnVersion.Current);
                await host.WaitForShutdownAsync(ct);
            }

            return 0;
        });
        return command;
    }
}
