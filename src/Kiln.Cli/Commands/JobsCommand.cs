using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln jobs list|show|logs|stop</c>: training jobs through the SageMaker API.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs with this status (InProgress, Completed, Failed, Stopping, Stopped)" };
        var max = new Option<int>("--max") { Description = "Maximum number of jobs", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List training jobs, newest first.") { status, max };
        list.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var body = new Dictionary<string, object?> { ["MaxResults"] = Math.Clamp(result.GetValue(max), 1, 100), ["SortBy"] = "CreationTime", ["SortOrder"] = "Descending" };
            if (result.GetValue(status) is { } wanted)
            {
                body["StatusEquals"] = wanted;
            }

            var response = await client.SageMakerAsync("ListTrainingJobs", body, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(response);
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Status", "Step", "Created", "Ended");
            foreach (var job in Output.Objects(response["TrainingJobSummaries"]))
            {
                table.AddRow(
                    $"[bold]{Output.Text(job["TrainingJobName"])}[/]",
                    StatusMarkup(job["TrainingJobStatus"]?.GetValue<string>()),
                    Output.Text(job["SecondaryStatus"]),
                    Seconds(job["CreationTime"]),
                    Seconds(job["TrainingEndTime"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The training job's name" };
        var show = new Command("show", "Show a training job: status history, metrics, model.") { name };
        show.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var job = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = result.GetValue(name) }, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(job);
                return 0;
            }

            Render(job);
            return 0;
        }));

        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the job ends" };
        var logName = new Argument<string>("name") { Description = "The training job's name" };
        var logs = new Command("logs", "Print a training job's log.") { logName, follow };
        logs.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            long offset = 0;
            while (true)
            {
                var (text, next, complete) = await client.ReadLogAsync(result.GetValue(logName)!, offset, ct);
                Console.Out.Write(text);
                offset = next;
                if (!result.GetValue(follow) || (complete && text.Length == 0))
                {
                    return 0;
                }

                if (text.Length == 0)
                {
                    await Task.Delay(500, ct);
                }
            }
        }));

        var stopName = new Argument<string>("name") { Description = "The training job's name" };
        var stop = new Command("stop", "Stop a training job in progress.") { stopName };
        stop.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            await client.SageMakerAsync("StopTrainingJob", new { TrainingJobName = result.GetValue(stopName) }, ct);
            AnsiConsole.MarkupLine($"Stopping [bold]{Markup.Escape(result.GetValue(stopName)!)}[/].");
            return 0;
        }));

        return new Command("jobs", "Work with training jobs.") { list, show, logs, stop };
    }

    /// <summary>A training job as a panel: statuses with their times, final metrics, where the model is.</summary>
    public static void Render(JsonObject job)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[grey]Status[/]", $"{StatusMarkup(job["TrainingJobStatus"]?.GetValue<string>())} ({Output.Text(job["SecondaryStatus"])})");
        grid.AddRow("[grey]Algorithm[/]", Output.Text(job["AlgorithmSpecification"]?["TrainingImage"] ?? job["AlgorithmSpecification"]?["AlgorithmName"]));
        grid.AddRow("[grey]Created[/]", Seconds(job["CreationTime"]));
        grid.AddRow("[grey]Training time[/]", job["TrainingTimeInSeconds"] is { } seconds ? $"{seconds} s" : "");
        grid.AddRow("[grey]Model[/]", Output.Text(job["ModelArtifacts"]?["S3ModelArtifacts"]));
        if (job["FailureReason"] is { } reason)
        {
            grid.AddRow("[grey]Failure[/]", $"[red]{Output.Text(reason)}[/]");
        }

        AnsiConsole.Write(new Panel(grid).Header($"training job {Output.Text(job["TrainingJobName"])}").Border(BoxBorder.Rounded));
        var history = new Table().Border(TableBorder.Rounded).Title("Status history").AddColumns("Step", "Started", "Ended", "Message");
        foreach (var transition in Output.Objects(job["SecondaryStatusTransitions"]))
        {
            history.AddRow(Output.Text(transition["Status"]), Seconds(transition["StartTime"]), Seconds(transition["EndTime"]), Output.Text(transition["StatusMessage"]));
        }

        AnsiConsole.Write(history);
        var metrics = new Table().Border(TableBorder.Rounded).Title("Final metrics").AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
        foreach (var metric in Output.Objects(job["FinalMetricDataList"]))
        {
            metrics.AddRow(Output.Text(metric["MetricName"]), Output.Number(metric["Value"]));
        }

        if (metrics.Rows.Count > 0)
        {
            AnsiConsole.Write(metrics);
        }
    }

    public static string StatusMarkup(string? status) => status switch
    {
        "Completed" => "[green]Completed[/]",
        "Failed" => "[red]Failed[/]",
        "InProgress" => "[yellow]InProgress[/]",
        null => "",
        _ => Markup.Escape(status),
    };

    public static string Seconds(JsonNode? epochSeconds) =>
        epochSeconds is null
            ? ""
            : DateTimeOffset.FromUnixTimeMilliseconds((long)(epochSeconds.GetValue<double>() * 1000)).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

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
