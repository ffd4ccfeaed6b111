using System.CommandLine;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln cluster status</c>: the nodes of the cluster, live and dead, with their roles and job slots.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var status = new Command("status", "Show the cluster's nodes from Orleans' membership: live and dead, their roles, versions and job slots in use.");
        status.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var report = await client.NativeAsync("cluster", ct);
                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(report);
                    return 0;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumns("Node", "Role", "Status", "Slots in use", "Waiting", "Version", "Started");
                foreach (var node in Output.Objects(report["nodes"]))
                {
                    var live = node["live"]?.GetValue<bool>() == true;
                    var here = node["isThisNode"]?.GetValue<bool>() == true ? " [grey](answering)[/]" : "";
                    table.AddRow(
                        $"[bold]{Output.Text(node["address"])}[/]{here}",
                        Output.Text(node["role"]),
                        live ? "[green]live[/]" : $"[red]{Markup.Escape(node["status"]?.ToString() ?? "")}[/]",
                        node["slots"] is null ? "–" : $"{node["slotsInUse"]} / {node["slots"]}",
                        node["slotsWaiting"]?.ToString() ?? "–",
                        Output.Text(node["version"]),
                        Output.Text(node["startedAt"]));
                }

                AnsiConsole.MarkupLine($"Cluster [bold]{Markup.Escape(report["clusterId"]?.ToString() ?? "")}[/]");
                AnsiConsole.Write(table);
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail(e.Message);
            }
        });

        return new Command("cluster", "Look at the Kiln cluster.") { status };
    }
}
