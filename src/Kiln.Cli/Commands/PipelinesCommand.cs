using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Kiln.Pipelines.Definition;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln pipelines run|list|show</c>: start pipelines and watch them, drawn as their step graph with each step's status.</summary>
internal static class PipelinesCommand
{
    private const string Role = "arn:aws:iam::000000000000:role/kiln-cli";

    public static Command Create()
    {
        var command = new Command("pipelines", "Run pipelines and show their executions as a graph of steps.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List pipelines with their latest execution.");
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var pipelines = await client.SageMakerAsync("ListPipelines", new { MaxResults = 100, SortBy = "Name", SortOrder = "Ascending" }, ct);
                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(pipelines);
                    return 0;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumns("Pipeline", "Created", "Last execution", "Status");
                foreach (var pipeline in Output.Objects(pipelines["PipelineSummaries"]))
                {
                    var name = pipeline["PipelineName"]!.GetValue<string>();
                    var executions = await client.SageMakerAsync("ListPipelineExecutions", new { PipelineName = name, MaxResults = 1 }, ct);
                    var latest = Output.Objects(executions["PipelineExecutionSummaries"]).FirstOrDefault();
                    table.AddRow(Output.Text(name), JobsCommand.Seconds(pipeline["CreationTime"]), latest is null ? "" : Output.Text(Id(latest["PipelineExecutionArn"]!.GetValue<string>())),
                        StatusMarkup(latest?["PipelineExecutionStatus"]?.GetValue<string>()));
                }

                AnsiConsole.Write(table);
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    private static Command Run()
    {
        var name = new Argument<string>("pipeline") { Description = "The pipeline to run" };
        var definition = new Option<FileInfo?>("--definition") { Description = "A pipeline definition (JSON, version 2020-12-01): creates the pipeline, or updates it, before running" };
        var parameters = new Option<string[]>("--param", "-p") { Description = "A parameter value, Name=Value (repeatable)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the execution and return" };
        var command = new Command("run", "Start a pipeline execution and draw its steps live until it ends.") { name, definition, parameters, noWait };
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            var pipeline = result.GetValue(name)!;
            try
            {
                if (result.GetValue(definition) is { } file)
                {
                    if (!file.Exists)
                    {
                        return Output.Fail($"No such file: {file.FullName}");
                    }

                    await SaveAsync(client, pipeline, await File.ReadAllTextAsync(file.FullName, ct), ct);
                }

                var values = new List<object>();
                foreach (var pair in result.GetValue(parameters) ?? [])
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        return Output.Fail($"--param must be Name=Value, got '{pair}'.");
                    }

                    values.Add(new { Name = pair[..equals], Value = pair[(equals + 1)..] });
                }

                var started = await client.SageMakerAsync("StartPipelineExecution", new { PipelineName = pipeline, PipelineParameters = values, ClientRequestToken = Guid.NewGuid().ToString("N") }, ct);
                var arn = started["PipelineExecutionArn"]!.GetValue<string>();
                AnsiConsole.MarkupLine($"Started execution [bold]{Markup.Escape(Id(arn))}[/] of pipeline [bold]{Markup.Escape(pipeline)}[/].");
                if (result.GetValue(noWait))
                {
                    return 0;
                }

                var status = await WatchAsync(client, pipeline, arn, ct);
                return status == "Succeeded" ? 0 : 1;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("pipeline") { Description = "The pipeline" };
        var execution = new Option<string?>("--execution") { Description = "An execution id (default: the latest)" };
        var command = new Command("show", "Draw a pipeline's step graph with the status of each step in an execution.") { name, execution };
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            var pipeline = result.GetValue(name)!;
            try
            {
                var described = await client.SageMakerAsync("DescribePipeline", new { PipelineName = pipeline }, ct);
                string? arn = null;
                if (result.GetValue(execution) is { } id)
                {
                    arn = $"{described["PipelineArn"]!.GetValue<string>()}/execution/{id}";
                }
                else
                {
                    var executions = await client.SageMakerAsync("ListPipelineExecutions", new { PipelineName = pipeline, MaxResults = 1 }, ct);
                    arn = Output.Objects(executions["PipelineExecutionSummaries"]).FirstOrDefault()?["PipelineExecutionArn"]?.GetValue<string>();
                }

                var steps = arn is null ? [] : await StepsAsync(client, arn, ct);
                var summary = arn is null ? null : await client.SageMakerAsync("DescribePipelineExecution", new { PipelineExecutionArn = arn }, ct);
                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(new JsonObject { ["Pipeline"] = described.DeepClone(), ["Execution"] = summary?.DeepClone(), ["Steps"] = new JsonArray(steps.Values.Select(s => (JsonNode)s.DeepClone()).ToArray()) });
                    return 0;
                }

                AnsiConsole.Write(Render(pipeline, DefinitionParser.Parse(described["PipelineDefinition"]!.GetValue<string>()), summary, steps, null, client.Clock));
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
            catch (PipelineDefinitionException e)
            {
                return Output.Fail(e.Message);
            }
        });
        return command;
    }

    private static async Task SaveAsync(KilnClient client, string pipeline, string definition, CancellationToken ct)
    {
        try
        {
            await client.SageMakerAsync("DescribePipeline", new { PipelineName = pipeline }, ct);
            await client.SageMakerAsync("UpdatePipeline", new { PipelineName = pipeline, PipelineDefinition = definition }, ct);
            AnsiConsole.MarkupLine($"Updated pipeline [bold]{Markup.Escape(pipeline)}[/].");
        }
        catch (KilnApiException e) when (e.Code == "ResourceNotFound")
        {
            await client.SageMakerAsync("CreatePipeline", new { PipelineName = pipeline, PipelineDefinition = definition, RoleArn = Role, ClientRequestToken = Guid.NewGuid().ToString("N") }, ct);
            AnsiConsole.MarkupLine($"Created pipeline [bold]{Markup.Escape(pipeline)}[/].");
        }
    }

    private static async Task<string> WatchAsync(KilnClient client, string pipeline, string arn, CancellationToken ct)
    {
        var definition = DefinitionParser.Parse((await client.SageMakerAsync("DescribePipeline", new { PipelineName = pipeline }, ct))["PipelineDefinition"]!.GetValue<string>());
        var clock = Stopwatch.StartNew();
        var status = "Executing";
        await AnsiConsole.Live(new Text("Starting…")).StartAsync(async live =>
        {
            while (true)
            {
                var summary = await client.SageMakerAsync("DescribePipelineExecution", new { PipelineExecutionArn = arn }, ct);
                status = summary["PipelineExecutionStatus"]!.GetValue<string>();
                live.UpdateTarget(Render(pipeline, definition, summary, await StepsAsync(client, arn, ct), clock.Elapsed, client.Clock));
                if (status is "Succeeded" or "Failed" or "Stopped")
                {
                    return;
                }

                await Task.Delay(500, ct);
            }
        });
        return status;
    }

    private static async Task<Dictionary<string, JsonObject>> StepsAsync(KilnClient client, string arn, CancellationToken ct)
    {
        var steps = await client.SageMakerAsync("ListPipelineExecutionSteps", new { PipelineExecutionArn = arn, MaxResults = 100 }, ct);
        return Output.Objects(steps["PipelineExecutionSteps"]).ToDictionary(step => step["StepName"]!.GetValue<string>());
    }

    /// <summary>
    /// The step graph in layers: a step sits one layer below the last step it waits for, so the graph reads top
    /// to bottom. Each box shows the step's status; a table under it gives times, cache hits and jobs.
    /// </summary>
    internal static IRenderable Render(string pipeline, PipelineDefinition definition, JsonObject? summary, IReadOnlyDictionary<string, JsonObject> steps, TimeSpan? elapsed, TimeProvider clock)
    {
        var layers = Layers(definition);
        var graph = new List<IRenderable>();
        foreach (var (layer, index) in layers.Select((layer, index) => (layer, index)))
        {
            if (index > 0)
            {
                graph.Add(new Markup("[grey]    │\n    ▼[/]"));
            }

            graph.Add(new Columns(layer.Select(step => (IRenderable)Box(step, steps.GetValueOrDefault(step.Name)))) { Expand = false });
        }

        var status = summary?["PipelineExecutionStatus"]?.GetValue<string>();
        var header = new Markup($"[bold]{Markup.Escape(pipeline)}[/]"
            + (summary is null ? " · no executions yet" : $" · execution {Markup.Escape(Id(summary["PipelineExecutionArn"]!.GetValue<string>()))} · {StatusMarkup(status)}")
            + (elapsed is { } time ? $" · {time.TotalSeconds:F0}s" : ""));
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Step", "Type", "Status", "Started", "Took", "Result");
        foreach (var step in layers.SelectMany(layer => layer))
        {
            if (steps.GetValueOrDefault(step.Name) is not { } run)
            {
                continue;
            }

            table.AddRow(Markup.Escape(step.Name), step.Type, StatusMarkup(run["StepStatus"]?.GetValue<string>()), JobsCommand.Seconds(run["StartTime"]), Took(run, clock), Result(run));
        }

        var parts = new List<IRenderable> { header, new Rows(graph) };
        if (summary?["FailureReason"]?.GetValue<string>() is { } reason)
        {
            parts.Add(new Markup($"[red]{Markup.Escape(reason)}[/]"));
        }

        parts.Add(table);
        return new Rows(parts);
    }

    private static List<List<StepDefinition>> Layers(PipelineDefinition definition)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        int Depth(StepDefinition step)
        {
            if (depth.TryGetValue(step.Name, out var known))
            {
                return known;
            }

            depth[step.Name] = 0;
            var value = DefinitionValidator.Dependencies(definition, step).Select(name => Depth(definition.Step(name)!) + 1).DefaultIfEmpty(0).Max();
            depth[step.Name] = value;
            return value;
        }

        return definition.Steps.GroupBy(Depth).OrderBy(group => group.Key).Select(group => group.ToList()).ToList();
    }

    private static Panel Box(StepDefinition step, JsonObject? run)
    {
        var status = run?["StepStatus"]?.GetValue<string>();
        var (icon, color) = status switch
        {
            "Succeeded" => ("✔", "green"),
            "Failed" => ("✘", "red"),
            "Stopped" or "Stopping" => ("■", "grey"),
            "Executing" or "Starting" => ("▶", "yellow"),
            _ => ("·", "grey"),
        };
        var detail = status is null ? "not run" : status;
        if (run?["CacheHitResult"] is not null)
        {
            detail += " (cached)";
        }

        if (run?["Metadata"]?["Condition"]?["Outcome"]?.GetValue<string>() is { } outcome)
        {
            detail += $" → {outcome}";
        }

        var branch = step.ConditionStep is { } condition ? $"\n[grey]if {Markup.Escape(condition)} is {(step.OnTrue ? "true" : "false")}[/]" : "";
        return new Panel(new Markup($"[{color}]{icon}[/] [bold]{Markup.Escape(step.Name)}[/]\n[grey]{step.Type}[/] · [{color}]{Markup.Escape(detail)}[/]{branch}"))
            .Border(BoxBorder.Rounded)
            .BorderColor(color switch { "green" => Color.Green, "red" => Color.Red, "yellow" => Color.Yellow, _ => Color.Grey });
    }

    private static string Took(JsonObject run, TimeProvider clock)
    {
        if (run["StartTime"]?.GetValue<double>() is not { } start)
        {
            return "";
        }

        var end = run["EndTime"]?.GetValue<double>() ?? clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        return string.Create(CultureInfo.InvariantCulture, $"{end - start:F1}s");
    }

    private static string Result(JsonObject run)
    {
        if (run["FailureReason"]?.GetValue<string>() is { } reason)
        {
            return $"[red]{Markup.Escape(reason.Length > 80 ? reason[..77] + "..." : reason)}[/]";
        }

        var metadata = run["Metadata"] as JsonObject;
        var arn = metadata?.Select(pair => pair.Value?["Arn"]?.GetValue<string>()).FirstOrDefault(value => value is not null);
        return arn is null ? "" : Markup.Escape(arn[(arn.IndexOf('/', StringComparison.Ordinal) + 1)..]);
    }

    private static string StatusMarkup(string? status) => status switch
    {
        "Succeeded" => "[green]Succeeded[/]",
        "Failed" => "[red]Failed[/]",
        "Executing" => "[yellow]Executing[/]",
        "Stopped" or "Stopping" => $"[grey]{status}[/]",
        null => "",
        _ => Markup.Escape(status),
    };

    private static string Id(string executionArn) => executionArn[(executionArn.LastIndexOf('/') + 1)..];
}
