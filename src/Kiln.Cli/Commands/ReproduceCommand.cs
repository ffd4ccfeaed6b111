using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln reproduce JOB</c>: reruns a training job from what lineage recorded (the same data, the stored copy
/// of its code, the same configuration), then compares data hashes and final metrics with the original.
/// </summary>
internal static class ReproduceCommand
{
    private static readonly string[] Copied =
    [
        "AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig", "StoppingCondition",
        "EnableNetworkIsolation", "CheckpointConfig", "Environment",
    ];

    private static readonly string[] InputTypes = ["DataSet", "Code"];

    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The training job to reproduce" };
        var name = new Option<string?>("--name") { Description = "Name of the new job (default: <job>-repro-<time>)" };
        var tolerance = new Option<double>("--tolerance") { Description = "How far a metric may differ and still count as the same", DefaultValueFactory = _ => 1e-9 };
        var command = new Command("reproduce", "Rerun a training job from its recorded code, data and config, and compare the metrics.") { job, name, tolerance };
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            var original = result.GetValue(job)!;
            try
            {
                var described = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = original }, ct);
                var recorded = await RecordedInputsAsync(client, original, ct);
                var request = new JsonObject();
                foreach (var field in Copied.Where(field => described[field] is not null))
                {
                    request[field] = described[field]!.DeepClone();
                }

                var hyperParameters = described["HyperParameters"]?.DeepClone().AsObject() ?? [];
                if (recorded.FirstOrDefault(artifact => artifact.Type == "Code")?.StoredCopy is { } copy)
                {
                    hyperParameters["sagemaker_submit_directory"] = $"\"{copy}\"";
                }

                request["HyperParameters"] = hyperParameters;
                var reproduction = result.GetValue(name) ?? $"{(original.Length > 40 ? original[..40].TrimEnd('-') : original)}-repro-{client.Clock.GetUtcNow():HHmmss}";
                request["TrainingJobName"] = reproduction;
                await client.SageMakerAsync("CreateTrainingJob", request, ct);
                AnsiConsole.MarkupLine($"Reproducing [bold]{Markup.Escape(original)}[/] as [bold]{Markup.Escape(reproduction)}[/] from {recorded.Count} recorded input(s).");
                var final = await AnsiConsole.Status().StartAsync("Training…", async status =>
                {
                    while (true)
                    {
                        var current = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = reproduction }, ct);
                        var state = current["TrainingJobStatus"]!.GetValue<string>();
                        status.Status($"{state} · {current["SecondaryStatus"]}");
                        if (state is "Completed" or "Failed" or "Stopped")
                        {
                            return current;
                        }

                        await Task.Delay(500, ct);
                    }
                });
                if (final["TrainingJobStatus"]!.GetValue<string>() != "Completed")
                {
                    return Output.Fail($"The reproduction ended {final["TrainingJobStatus"]}: {final["FailureReason"]}");
                }

                var reproduced = await RecordedInputsAsync(client, reproduction, ct);
                return Report(recorded, reproduced, described, final, result.GetValue(tolerance)) ? 0 : 1;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    private sealed record RecordedInput(string Type, string Uri, string? Hash, string? StoredCopy);

    /// <summary>The datasets and code lineage recorded as contributing to a training job.</summary>
    private static async Task<List<RecordedInput>> RecordedInputsAsync(KilnClient client, string job, CancellationToken ct)
    {
        var start = $"arn:aws:sagemaker:us-east-1:000000000000:experiment-trial-component/{job.ToLowerInvariant()}-aws-training-job";
        JsonObject graph;
        try
        {
            graph = await client.SageMakerAsync("QueryLineage", new { StartArns = new[] { start }, Direction = "Ascendants", MaxDepth = 1, Filters = new { Types = InputTypes } }, ct);
        }
        catch (KilnApiException e) when (e.Code == "ResourceNotFound")
        {
            throw new KilnApiException(e.Code, $"No lineage was recorded for {job}: only completed training jobs can be reproduced.");
        }

        var inputs = new List<RecordedInput>();
        foreach (var vertex in Output.Objects(graph["Vertices"]).Where(vertex => vertex["LineageType"]?.GetValue<string>() == "Artifact"))
        {
            var artifact = await client.SageMakerAsync("DescribeArtifact", new { ArtifactArn = vertex["Arn"]!.GetValue<string>() }, ct);
            inputs.Add(new RecordedInput(
                artifact["ArtifactType"]!.GetValue<string>(),
                artifact["Source"]!["SourceUri"]!.GetValue<string>(),
                artifact["Source"]?["SourceTypes"]?[0]?["Value"]?.GetValue<string>(),
                artifact["Properties"]?["StoredCopy"]?.GetValue<string>()));
        }

        return inputs.OrderBy(input => input.Type, StringComparer.Ordinal).ThenBy(input => input.Uri, StringComparer.Ordinal).ToList();
    }

    private static bool Report(List<RecordedInput> recorded, List<RecordedInput> reproduced, JsonObject original, JsonObject final, double tolerance)
    {
        var same = true;
        var inputs = new Table().Border(TableBorder.Rounded).AddColumns("Input", "Type", "Recorded hash", "Now", "");
        foreach (var input in recorded)
        {
            var now = input.Type == "Code"
                ? reproduced.FirstOrDefault(other => other.Type == "Code")
                : reproduced.FirstOrDefault(other => other.Uri == input.Uri);
            var match = now?.Hash == input.Hash;
            same &= match;
            inputs.AddRow(Markup.Escape(input.Uri), input.Type, Short(input.Hash), Short(now?.Hash), match ? "[green]same[/]" : "[red]changed[/]");
        }

        var metrics = new Table().Border(TableBorder.Rounded).AddColumns("Metric", "Original", "Reproduced", "");
        var before = Metrics(original);
        var after = Metrics(final);
        foreach (var (metric, value) in before)
        {
            var again = after.GetValueOrDefault(metric, double.NaN);
            var match = Math.Abs(again - value) <= tolerance * Math.Max(1, Math.Abs(value));
            same &= match;
            metrics.AddRow(Markup.Escape(metric), value.ToString("G10", CultureInfo.InvariantCulture), again.ToString("G10", CultureInfo.InvariantCulture), match ? "[green]same[/]" : "[red]differs[/]");
        }

        AnsiConsole.Write(inputs);
        AnsiConsole.Write(metrics);
        AnsiConsole.MarkupLine(same ? "[green]Reproduced: the same data and code gave the same metrics.[/]" : "[red]Not reproduced: see what changed above.[/]");
        return same;
    }

    private static Dictionary<string, double> Metrics(JsonObject job) =>
        Output.Objects(job["FinalMetricDataList"]).ToDictionary(metric => metric["MetricName"]!.GetValue<string>(), metric => metric["Value"]!.GetValue<double>(), StringComparer.Ordinal);

    private static string Short(string? hash) => hash is null ? "" : Markup.Escape(hash.Length > 19 ? hash[..19] + "…" : hash);
}
