using System.CommandLine;
using Kiln.Cli;
using Kiln.Cli.Commands;
using Spectre.Console;

var root = new RootCommand("Kiln: a self-hosted MLOps platform that speaks the MLflow and SageMaker APIs.")
{
    CliOptions.Url,
    CliOptions.Json,
};
root.Subcommands.Add(ServerCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(QuickstartCommand.Create());
root.Subcommands.Add(ExperimentsCommand.Create());
root.Subcommands.Add(RunsCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(TuneCommand.Create());
root.Subcommands.Add(AutoMLCommand.Create());
root.Subcommands.Add(AutoMLCommand.Predict());
root.Subcommands.Add(EndpointsCommand.Deploy());
root.Subcommands.Add(EndpointsCommand.Invoke());
root.Subcommands.Add(EndpointsCommand.Endpoints());
root.Subcommands.Add(PipelinesCommand.Create());
root.Subcommands.Add(MonitorCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(UsersCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
var parsed = root.Parse(args);
if (parsed.GetValue(CliOptions.Json))
{
    // Scripts read stdout as one JSON document: tables, spinners and progress go to stderr instead.
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}

return await parsed.InvokeAsync();
