using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln experiments list</c>.</summary>
internal static class ExperimentsCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "Include deleted experiments" };
        var list = new Command("list", "List experiments.") { all };
        list.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var experiments = new JsonArray();
                string? token = null;
                do
                {
                    var body = new Dictionary<string, object?> { ["max_results"] = 1000, ["view_type"] = result.GetValue(all) ? "ALL" : "ACTIVE_ONLY", ["page_token"] = token };
                    var page = await client.PostAsync("experiments/search", body, ct);
                    foreach (var experiment in Output.Objects(page["experiments"]).ToList())
                    {
                        experiments.Add(experiment.DeepClone());
                    }

                    token = page["next_page_token"]?.GetValue<string>();
                }
                while (token is not null);

                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(new JsonObject { ["experiments"] = experiments });
                    return 0;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumns("ID", "Name", "Stage", "Created", "Artifact location");
                foreach (var experiment in Output.Objects(experiments))
                {
                    table.AddRow(
                        Output.Text(experiment["experiment_id"]),
                        $"[bold]{Output.Text(experiment["name"])}[/]",
                        Output.Text(experiment["lifecycle_stage"]),
                        Output.Time(experiment["creation_time"]),
                        Output.Text(experiment["artifact_location"]));
                }

                AnsiConsole.Write(table);
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail(e.Message);
            }
        });

        return new Command("experiments", "Work with experiments.") { list };
    }
}
