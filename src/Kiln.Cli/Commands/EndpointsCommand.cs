using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln deploy</c>, <c>kiln invoke</c> and <c>kiln endpoints list|show</c>: real-time endpoints through the
/// SageMaker API, with live per-variant traffic from Kiln's native traffic report.
/// </summary>
internal static class EndpointsCommand
{
    private const string Role = "arn:aws:iam::000000000000:role/kiln-cli";

    public static Command Deploy()
    {
        var model = new Argument<string>("model") { Description = "A model (CreateModel) or a completed training job, whose model.tar.gz is deployed" };
        var name = new Option<string>("--name", "-n") { Description = "The endpoint's name", Required = true };
        var instances = new Option<int>("--instances") { Description = "Replicas serving in parallel", DefaultValueFactory = _ => 1 };
        var capture = new Option<string?>("--capture") { Description = "Capture all traffic under this s3:// prefix" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the endpoint is being created" };
        var command = new Command("deploy", "Deploy a model (or a training job's model) behind an endpoint, or update the endpoint to it.") { model, name, instances, capture, noWait };
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var endpoint = result.GetValue(name)!;
            var modelName = await EnsureModelAsync(client, result.GetValue(model)!, ct);
            var config = NewConfigName(endpoint, client.Clock);
            var body = new Dictionary<string, object?>
            {
                ["EndpointConfigName"] = config,
                ["ProductionVariants"] = new[]
                {
                    new { VariantName = "AllTraffic", ModelName = modelName, InitialInstanceCount = result.GetValue(instances), InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 },
                },
            };
            if (result.GetValue(capture) is { } destination)
            {
                body["DataCaptureConfig"] = new { EnableCapture = true, InitialSamplingPercentage = 100, DestinationS3Uri = destination, CaptureOptions = new[] { new { CaptureMode = "InputAndOutput" } } };
            }

            await client.SageMakerAsync("CreateEndpointConfig", body, ct);
            var exists = await ExistsAsync(client, endpoint, ct);
            await client.SageMakerAsync(exists ? "UpdateEndpoint" : "CreateEndpoint", new { EndpointName = endpoint, EndpointConfigName = config }, ct);
            AnsiConsole.MarkupLine($"{(exists ? "Updating" : "Creating")} endpoint [bold]{Markup.Escape(endpoint)}[/] with model [bold]{Markup.Escape(modelName)}[/].");
            if (result.GetValue(noWait))
            {
                return 0;
            }

            var described = await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("Deploying…", async status =>
            {
                while (true)
                {
                    var current = await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }, ct);
                    var state = current["EndpointStatus"]?.GetValue<string>();
                    if (state is not ("Creating" or "Updating" or "RollingBack"))
                    {
                        return current;
                    }

                    status.Status($"{state}…");
                    await Task.Delay(500, ct);
                }
            });
            Render(described, null);
            if (described["EndpointStatus"]?.GetValue<string>() != "InService" || described["EndpointConfigName"]?.GetValue<string>() != config)
            {
                return Output.Fail($"The deployment did not take: {described["FailureReason"]?.GetValue<string>() ?? described["EndpointStatus"]?.GetValue<string>()}");
            }

            AnsiConsole.MarkupLine($"Invoke it: [bold]kiln invoke {Markup.Escape(endpoint)} --csv \"…\"[/]  (or boto3's sagemaker-runtime invoke_endpoint at {Markup.Escape(client.BaseAddress.ToString())})");
            return 0;
        }));
        return command;
    }

    public static Command Invoke()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "The endpoint's name" };
        var csv = new Option<string?>("--csv") { Description = "One CSV row, or several separated by newlines (features only, no header)" };
        var json = new Option<string?>("--json-body") { Description = "A JSON body, e.g. {\"instances\": [[1, 2, 3]]}" };
        var file = new Option<FileInfo?>("--file") { Description = "Send this file's contents (CSV unless it ends in .json)" };
        var accept = new Option<string?>("--accept") { Description = "Response format: text/csv or application/json" };
        var variant = new Option<string?>("--variant") { Description = "Send to this production variant" };
        var command = new Command("invoke", "Send a request to an endpoint and print the prediction.") { endpoint, csv, json, file, accept, variant };
        command.SetAction((result, ct) => Guard(async () =>
        {
            var (body, contentType) = result.GetValue(csv) is { } rows ? (rows.Replace("\\n", "\n", StringComparison.Ordinal), "text/csv")
                : result.GetValue(json) is { } text ? (text, "application/json")
                : result.GetValue(file) is { } path ? (await File.ReadAllTextAsync(path.FullName, ct), path.Extension == ".json" ? "application/json" : "text/csv")
                : (null, "");
            if (body is null)
            {
                return Output.Fail("Give the request with --csv, --json-body or --file.");
            }

            using var client = CliOptions.Client(result);
            var (answer, type, served) = await client.InvokeAsync(result.GetValue(endpoint)!, body, contentType, result.GetValue(accept), result.GetValue(variant), ct);
            Console.Out.Write(answer.EndsWith('\n') ? answer : answer + "\n");
            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine($"({served}, {type})");
            }

            return 0;
        }));
        return command;
    }

    public static Command Endpoints()
    {
        var list = new Command("list", "List endpoints, newest first.");
        list.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var response = await client.SageMakerAsync("ListEndpoints", new { MaxResults = 100, SortBy = "CreationTime", SortOrder = "Descending" }, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(response);
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Status", "Created", "Modified");
            foreach (var endpoint in Output.Objects(response["Endpoints"]))
            {
                table.AddRow($"[bold]{Output.Text(endpoint["EndpointName"])}[/]", StatusMarkup(endpoint["EndpointStatus"]?.GetValue<string>()),
                    JobsCommand.Seconds(endpoint["CreationTime"]), JobsCommand.Seconds(endpoint["LastModifiedTime"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The endpoint's name" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Keep refreshing the live traffic until Ctrl+C" };
        var show = new Command("show", "Show an endpoint: its variants with live traffic share, weight, replicas and latency.") { name, watch };
        show.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var endpoint = result.GetValue(name)!;
            async Task<(JsonObject Described, JsonObject Traffic)> ReadAsync() =>
                (await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }, ct), await client.NativeAsync($"endpoints/{Uri.EscapeDataString(endpoint)}/traffic", ct));

            var (described, traffic) = await ReadAsync();
            if (result.GetValue(CliOptions.Json))
            {
                described["Traffic"] = traffic["traffic"]?.DeepClone();
                Output.Json(described);
                return 0;
            }

            if (!result.GetValue(watch))
            {
                Render(described, traffic["traffic"] as JsonObject);
                return 0;
            }

            await AnsiConsole.Live(View(described, traffic["traffic"] as JsonObject)).StartAsync(async live =>
            {
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(1000, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    (described, traffic) = await ReadAsync();
                    live.UpdateTarget(View(described, traffic["traffic"] as JsonObject));
                }
            });
            return 0;
        }));

        return new Command("endpoints", "Work with real-time endpoints.") { list, show };
    }

    private static void Render(JsonObject described, JsonObject? traffic) => AnsiConsole.Write(View(described, traffic));

    /// <summary>An endpoint as a panel, and its variants as a table with the traffic each actually got.</summary>
    private static IRenderable View(JsonObject described, JsonObject? traffic)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[grey]Status[/]", StatusMarkup(described["EndpointStatus"]?.GetValue<string>()));
        grid.AddRow("[grey]Config[/]", Output.Text(described["EndpointConfigName"]));
        if (traffic is not null)
        {
            grid.AddRow("[grey]Routing[/]", Output.Text(traffic["routing"]));
            grid.AddRow("[grey]Captured[/]", $"{Output.Number(traffic["captureWritten"])} written, {Output.Number(traffic["captureDropped"])} dropped");
        }

        if (described["PendingDeploymentSummary"] is JsonObject pending)
        {
            grid.AddRow("[grey]Deploying[/]", $"[yellow]{Output.Text(pending["EndpointConfigName"])}[/]");
        }

        if (described["FailureReason"] is { } reason)
        {
            grid.AddRow("[grey]Last failure[/]", $"[red]{Output.Text(reason)}[/]");
        }

        var bandit = traffic?["routing"]?.GetValue<string>() is { } routing && routing != "weighted";
        var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("Variant").NoWrap()).AddColumns("Weight", "Share", "Replicas", "Calls", "Errors", "p50 ms", "p99 ms");
        if (bandit)
        {
            table.AddColumn("Reward");
        }

        var live = Output.Objects(traffic?["variants"]).ToDictionary(v => (v["variantName"]!.GetValue<string>(), v["shadow"]!.GetValue<bool>()));
        foreach (var (variant, shadow) in Output.Objects(described["ProductionVariants"]).Select(v => (v, false)).Concat(Output.Objects(described["ShadowProductionVariants"]).Select(v => (v, true))))
        {
            var key = (variant["VariantName"]!.GetValue<string>(), shadow);
            live.TryGetValue(key, out var stats);
            var share = stats?["recentShare"]?.GetValue<double>() ?? 0;
            var cells = new List<string>
            {
                $"[bold]{Markup.Escape(key.Item1)}[/]{(shadow ? " [grey](shadow)[/]" : "")}",
                Output.Number(variant["CurrentWeight"]),
                shadow ? "" : $"{Bar(share)} {share.ToString("P0", CultureInfo.InvariantCulture)}",
                Output.Number(variant["CurrentInstanceCount"]),
                Output.Number(stats?["invocations"]),
                Output.Number(stats?["errors"]),
                Milliseconds(stats?["latencyP50Ms"]),
                Milliseconds(stats?["latencyP99Ms"]),
            };
            if (bandit)
            {
                var pulls = stats?["rewardCount"]?.GetValue<double>() ?? 0;
                cells.Add(pulls > 0 ? (stats!["rewardSum"]!.GetValue<double>() / pulls).ToString("P2", CultureInfo.InvariantCulture) : "");
            }

            table.AddRow(cells.ToArray());
        }

        return new Rows(new Panel(grid).Header($"endpoint {Output.Text(described["EndpointName"])}").Border(BoxBorder.Rounded), table);
    }

    private static string Bar(double share)
    {
        var filled = (int)Math.Round(share * 6);
        return $"[green]{new string('█', filled)}[/][grey]{new string('░', 6 - filled)}[/]";
    }

    private static string Milliseconds(JsonNode? value) =>
        value is null ? "" : value.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture);

    private static string StatusMarkup(string? status) => status switch
    {
        "InService" => "[green]InService[/]",
        "Failed" => "[red]Failed[/]",
        "Creating" or "Updating" or "RollingBack" => $"[yellow]{status}[/]",
        null => "",
        _ => Markup.Escape(status),
    };

    /// <summary>The model to deploy: an existing model, or one made from a completed training job's artifacts.</summary>
    private static async Task<string> EnsureModelAsync(KilnClient client, string name, CancellationToken ct)
    {
        try
        {
            await client.SageMakerAsync("DescribeModel", new { ModelName = name }, ct);
            return name;
        }
        catch (KilnApiException e) when (e.Code == "ValidationException")
        {
        }

        JsonObject job;
        try
        {
            job = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = name }, ct);
        }
        catch (KilnApiException e) when (e.Code == "ResourceNotFound")
        {
            throw new KilnApiException("ValidationException", $"'{name}' is neither a model nor a training job.");
        }

        if (job["TrainingJobStatus"]?.GetValue<string>() != "Completed")
        {
            throw new KilnApiException("ValidationException", $"The training job {name} is {job["TrainingJobStatus"]}; only a completed job can be deployed.");
        }

        await client.SageMakerAsync("CreateModel", new
        {
            ModelName = name,
            ExecutionRoleArn = Role,
            PrimaryContainer = new { Image = job["AlgorithmSpecification"]?["TrainingImage"]?.GetValue<string>(), ModelDataUrl = job["ModelArtifacts"]?["S3ModelArtifacts"]?.GetValue<string>() },
        }, ct);
        return name;
    }

    /// <summary>
    /// A new endpoint config's name: the endpoint's, cut to leave room within SageMaker's 63 characters, and the time
    /// to the millisecond (to the second, two deploys in one second asked for the same config).
    /// </summary>
    internal static string NewConfigName(string endpoint, TimeProvider clock)
    {
        var stamp = clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        return $"{endpoint[..Math.Min(endpoint.Length, 63 - stamp.Length - 1)].TrimEnd('-')}-{stamp}";
    }

    private static async Task<bool> ExistsAsync(KilnClient client, string endpoint, CancellationToken ct)
    {
        try
        {
            await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }, ct);
            return true;
        }
        catch (KilnApiException e) when (e.Code == "ValidationException")
        {
            return false;
        }
    }

    private static async Task<int> Guard(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (KilnApiException e)
        {
            return Output.Fail($"{e.Code}: {e.Message}");
        }
    }
}
