using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln runs list</c> and <c>kiln runs show</c>.</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var experiment = new Option<string>("--experiment", "-e") { Description = "Experiment name or ID", DefaultValueFactory = _ => "0" };
        var filter = new Option<string?>("--filter", "-f") { Description = "MLflow filter, e.g. \"metrics.auc > 0.9 and params.max_depth = '6'\"" };
        var orderBy = new Option<string[]>("--order-by") { Description = "Order, e.g. \"metrics.auc DESC\" (repeatable)", AllowMultipleArgumentsPerToken = false };
        var max = new Option<int>("--max") { Description = "Maximum number of runs", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List runs of an experiment, optionally filtered.") { experiment, filter, orderBy, max };
        list.SetAction((result, ct) => ListAsync(result, result.GetValue(experiment)!, result.GetValue(filter), result.GetValue(orderBy) ?? [], result.GetValue(max), ct));

        var runId = new Argument<string>("run-id") { Description = "The run's ID" };
        var show = new Command("show", "Show one run: its info, parameters, metrics and tags.") { runId };
        show.SetAction((result, ct) => ShowAsync(result, result.GetValue(runId)!, ct));

        return new Command("runs", "Work with runs.") { list, show };
    }

    /// <summary>Resolves an experiment given by ID or by name.</summary>
    public static async Task<string> ResolveExperimentAsync(KilnClient client, string nameOrId, CancellationToken ct)
    {
        if (nameOrId.All(char.IsAsciiDigit))
        {
            try
            {
                var byId = await client.GetAsync("experiments/get", [new("experiment_id", nameOrId)], ct);
                return byId["experiment"]!["experiment_id"]!.GetValue<string>();
            }
            catch (KilnApiException e) when (e.Code == "RESOURCE_DOES_NOT_EXIST")
            {
            }
        }

        var byName = await client.GetAsync("experiments/get-by-name", [new("experiment_name", nameOrId)], ct);
        return byName["experiment"]!["experiment_id"]!.GetValue<string>();
    }

    private static async Task<int> ListAsync(ParseResult result, string experiment, string? filter, string[] orderBy, int max, CancellationToken ct)
    {
        using var client = CliOptions.Client(result);
        try
        {
            var experimentId = await ResolveExperimentAsync(client, experiment, ct);
            var response = await client.PostAsync("runs/search", new Dictionary<string, object?>
            {
                ["experiment_ids"] = new[] { experimentId },
                ["filter"] = filter,
                ["order_by"] = orderBy,
                ["max_results"] = max,
            }, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(response);
                return 0;
            }

            var runs = Output.Objects(response["runs"]).ToList();
            var metricKeys = runs.SelectMany(run => Output.Objects(run["data"]?["metrics"]).Select(m => m["key"]!.GetValue<string>()))
                .Distinct().Order(StringComparer.Ordinal).Take(6).ToList();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Run ID", "Name", "Status", "Started");
            foreach (var key in metricKeys)
            {
                table.AddColumn(new TableColumn(Markup.Escape(key)).RightAligned());
            }

            foreach (var run in runs)
            {
                var info = run["info"]!;
                var status = info["status"]?.GetValue<string>() ?? "";
                var cells = new List<string>
                {
                    Output.Text(info["run_id"]),
                    $"[bold]{Output.Text(info["run_name"])}[/]",
                    status switch { "FINISHED" => "[green]FINISHED[/]", "FAILED" => "[red]FAILED[/]", "RUNNING" => "[yellow]RUNNING[/]", _ => Markup.Escape(status) },
                    Output.Time(info["start_time"]),
                };
                cells.AddRange(metricKeys.Select(key => Output.Number(
                    Output.Objects(run["data"]?["metrics"]).FirstOrDefault(m => m["key"]!.GetValue<string>() == key)?["value"])));
                table.AddRow(cells.ToArray());
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]{runs.Count} run(s) in experiment {Markup.Escape(experimentId)}{(filter is null ? "" : $" matching {Markup.Escape(filter)}")}[/]");
            return 0;
        }
        catch (KilnApiException e)
        {
            return Output.Fail(e.Message);
        }
    }

    private static async Task<int> ShowAsync(ParseResult result, string runId, CancellationToken ct)
    {
        using var client = CliOptions.Client(result);
        try
        {
            var response = await client.GetAsync("runs/get", [new("run_id", runId)], ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(response);
                return 0;
            }

            var run = response["run"]!;
            var info = run["info"]!;
            var grid = new Grid().AddColumn().AddColumn();
            foreach (var (label, value) in new[]
                     {
                         ("Run", Output.Text(info["run_id"])), ("Name", Output.Text(info["run_name"])), ("Experiment", Output.Text(info["experiment_id"])),
                         ("Status", Output.Text(info["status"])), ("Started", Output.Time(info["start_time"])), ("Ended", Output.Time(info["end_time"])),
                         ("Artifacts", Output.Text(info["artifact_uri"])), ("Stage", Output.Text(info["lifecycle_stage"])),
                     })
            {
                grid.AddRow($"[grey]{label}[/]", value);
            }

            AnsiConsole.Write(new Panel(grid).Header($"run {Output.Text(info["run_name"])}").Border(BoxBorder.Rounded));
            WritePairs("Parameters", run["data"]?["params"], value => Output.Text(value));
            var metrics = new Table().Border(TableBorder.Rounded).Title("Metrics (latest)").AddColumns("Key", "Value", "Step", "Time");
            foreach (var metric in Output.Objects(run["data"]?["metrics"]))
            {
                metrics.AddRow(Output.Text(metric["key"]), Output.Number(metric["value"]), Output.Text(metric["step"]), Output.Time(metric["timestamp"]));
            }

            if (metrics.Rows.Count > 0)
            {
                AnsiConsole.Write(metrics);
            }

            WritePairs("Tags", run["data"]?["tags"], value => Output.Text(value));
            return 0;
        }
        catch (KilnApiException e)
        {
            return Output.Fail(e.Message);
        }
    }

    private static void WritePairs(string title, JsonNode? pairs, Func<JsonNode?, string> format)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(title).AddColumns("Key", "Value");
        foreach (var pair in Output.Objects(pairs))
        {
            table.AddRow(Output.Text(pair["key"]), format(pair["value"]));
        }

        if (table.Rows.Count > 0)
        {
            AnsiConsole.Write(table);
        }
    }
}
