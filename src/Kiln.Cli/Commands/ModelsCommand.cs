using System.CommandLine;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln models list</c>: the model registry at a glance.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var filter = new Option<string?>("--filter", "-f") { Description = "MLflow filter, e.g. \"name LIKE 'churn%'\"" };
        var list = new Command("list", "List registered models with their latest versions and aliases.") { filter };
        list.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var query = new List<KeyValuePair<string, string>> { new("max_results", "1000") };
                if (result.GetValue(filter) is { } text)
                {
                    query.Add(new("filter", text));
                }

                var response = await client.GetAsync("registered-models/search", query, ct);
                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(response);
                    return 0;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Latest versions", "Aliases", "Updated", "Description");
                foreach (var model in Output.Objects(response["registered_models"]))
                {
                    var versions = string.Join(", ", Output.Objects(model["latest_versions"])
                        .Select(v => $"v{v["version"]} ({v["current_stage"]})"));
                    var aliases = string.Join(", ", Output.Objects(model["aliases"]).Select(a => $"@{a["alias"]} → v{a["version"]}"));
                    table.AddRow(
                        $"[bold]{Output.Text(model["name"])}[/]",
                        Markup.Escape(versions),
                        Markup.Escape(aliases),
                        Output.Time(model["last_updated_timestamp"]),
                        Output.Text(model["description"]));
                }

                AnsiConsole.Write(table);
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail(e.Message);
            }
        });

        return new Command("models", "Work with the model registry.") { list };
    }
}
