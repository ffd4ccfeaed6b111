using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln features build-dataset</c>: a point-in-time-correct training set from labelled events and feature groups.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var command = new Command("features", "Feature Store: build point-in-time-correct training sets from feature groups.");
        command.Subcommands.Add(BuildDataset());
        return command;
    }

    private static Command BuildDataset()
    {
        var events = new Option<string>("--events") { Description = "The labelled events: a CSV with a header, s3://bucket/key in Kiln's object store", Required = true };
        var eventTime = new Option<string>("--event-time-column") { Description = "The events' time column (epoch seconds or ISO-8601)", Required = true };
        var recordId = new Option<string>("--record-id-column") { Description = "The events' column holding the feature groups' record identifier", Required = true };
        var groups = new Option<string[]>("--feature-group") { Description = "A feature group to join (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--output") { Description = "Where to write it: s3://bucket/prefix/ (the file is dataset.csv or dataset.parquet under it)", Required = true };
        var format = new Option<string>("--format") { Description = "csv or parquet", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var command = new Command("build-dataset", "Join each event to every group's feature values as of the event's time (no values from after it), and write the result to S3 for a training channel.")
        {
            events, eventTime, recordId, groups, output, format,
        };
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var built = await client.NativePostJsonAsync("feature-store/datasets", new
            {
                events = result.GetValue(events),
                event_time_column = result.GetValue(eventTime),
                record_id_column = result.GetValue(recordId),
                feature_groups = result.GetValue(groups),
                output = result.GetValue(output),
                format = result.GetValue(format),
            }, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(built);
                return 0;
            }

            AnsiConsole.MarkupLine($"Wrote [bold]{Output.Text(built["rows"])}[/] rows to {Output.Text(built["file"])}");
            AnsiConsole.MarkupLine($"Columns: {string.Join(", ", (built["columns"] as JsonArray ?? []).Select(Output.Text))}");
            AnsiConsole.MarkupLine($"Lineage artifact: {Output.Text(built["artifact_arn"])}");
            return 0;
        }));
        return command;
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
