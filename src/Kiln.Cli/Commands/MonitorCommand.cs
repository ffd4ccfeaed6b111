using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln monitor list|show|run-now</c>: Model Monitor's schedules, their executions and what they found.</summary>
internal static class MonitorCommand
{
    public static Command Create()
    {
        var command = new Command("monitor", "Model Monitor: list schedules, show their executions and violations, run one now.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(RunNow());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List monitoring schedules with the status of their latest execution.");
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var listed = await client.SageMakerAsync("ListMonitoringSchedules", new { MaxResults = 100, SortBy = "Name", SortOrder = "Ascending" }, ct);
            var schedules = new JsonArray();
            foreach (var summary in Output.Objects(listed["MonitoringScheduleSummaries"]))
            {
                schedules.Add(await client.SageMakerAsync("DescribeMonitoringSchedule", new { MonitoringScheduleName = summary["MonitoringScheduleName"]!.GetValue<string>() }, ct));
            }

            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(new JsonObject { ["MonitoringSchedules"] = schedules });
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Schedule", "Type", "Endpoint", "Status", "Last execution");
            foreach (var schedule in Output.Objects(schedules))
            {
                table.AddRow(
                    Output.Text(schedule["MonitoringScheduleName"]),
                    Output.Text(schedule["MonitoringType"]),
                    Output.Text(schedule["EndpointName"]),
                    Output.Text(schedule["MonitoringScheduleStatus"]),
                    StatusMarkup(schedule["LastMonitoringExecutionSummary"]?["MonitoringExecutionStatus"]?.GetValue<string>()));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("schedule") { Description = "The monitoring schedule" };
        var count = new Option<int>("--executions") { Description = "How many recent executions to list", DefaultValueFactory = _ => 10 };
        var command = new Command("show", "Show a schedule, its recent executions and the latest violations per feature.") { name, count };
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var scheduleName = result.GetValue(name)!;
            var schedule = await client.SageMakerAsync("DescribeMonitoringSchedule", new { MonitoringScheduleName = scheduleName }, ct);
            var executions = await client.SageMakerAsync("ListMonitoringExecutions",
                new { MonitoringScheduleName = scheduleName, SortBy = "ScheduledTime", SortOrder = "Descending", MaxResults = Math.Clamp(result.GetValue(count), 1, 100) }, ct);
            JsonObject? violations = null;
            try
            {
                violations = await client.NativeAsync($"monitoring-schedules/{Uri.EscapeDataString(scheduleName)}/violations", ct);
            }
            catch (KilnApiException e) when (e.Code == "404")
            {
                // No execution has written a report yet.
            }

            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(new JsonObject { ["Schedule"] = schedule, ["Executions"] = executions["MonitoringExecutionSummaries"]?.DeepClone(), ["LatestViolations"] = violations });
                return 0;
            }

            var config = schedule["MonitoringScheduleConfig"];
            AnsiConsole.MarkupLine($"[bold]{Output.Text(schedule["MonitoringScheduleName"])}[/] · {Output.Text(schedule["MonitoringType"])} · endpoint {Output.Text(schedule["EndpointName"])}"
                + $" · {Output.Text(schedule["MonitoringScheduleStatus"])} · {Output.Text(config?["ScheduleConfig"]?["ScheduleExpression"])} · job definition {Output.Text(config?["MonitoringJobDefinitionName"])}");
            var runs = new Table().Border(TableBorder.Rounded).AddColumns("Scheduled", "Status", "Processing job", "Failure");
            foreach (var execution in Output.Objects(executions["MonitoringExecutionSummaries"]))
            {
                runs.AddRow(
                    JobsCommand.Seconds(execution["ScheduledTime"]),
                    StatusMarkup(execution["MonitoringExecutionStatus"]?.GetValue<string>()),
                    Output.Text(execution["ProcessingJobArn"]?.GetValue<string>().Split('/')[^1]),
                    Output.Text(execution["FailureReason"]));
            }

            AnsiConsole.Write(runs);
            if (violations is null)
            {
                AnsiConsole.MarkupLine("No execution has written a report yet.");
                return 0;
            }

            var found = Output.Objects(violations["violations"]).ToList();
            AnsiConsole.MarkupLine($"Latest report ({Output.Text(violations["status"])}): {Output.Text(violations["reportUri"])}");
            if (found.Count == 0)
            {
                AnsiConsole.MarkupLine("[green]No violations.[/]");
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Feature", "Check", "Description");
            foreach (var violation in found.OrderBy(v => v["feature_name"]?.ToString(), StringComparer.Ordinal))
            {
                table.AddRow(Output.Text(violation["feature_name"]), $"[red]{Output.Text(violation["constraint_check_type"])}[/]", Output.Text(violation["description"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command RunNow()
    {
        var name = new Argument<string>("schedule") { Description = "The monitoring schedule" };
        var command = new Command("run-now", "Start one execution of a schedule at once; its cron expression is kept.") { name };
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var scheduleName = result.GetValue(name)!;
            var answer = await client.NativePostAsync($"monitoring-schedules/{Uri.EscapeDataString(scheduleName)}/run-now", ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(answer);
                return 0;
            }

            AnsiConsole.MarkupLine($"Execution of [bold]{Markup.Escape(scheduleName)}[/] requested; it starts within seconds (see `kiln monitor show {Markup.Escape(scheduleName)}`).");
            return 0;
        }));
        return command;
    }

    private static string StatusMarkup(string? status) => status switch
    {
        null => "",
        "Completed" => "[green]Completed[/]",
        "CompletedWithViolations" => "[yellow]CompletedWithViolations[/]",
        "Failed" => "[red]Failed[/]",
        _ => Markup.Escape(status),
    };

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
