using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln automl --data churn.csv --target churn</c>: uploads a CSV, starts a SageMaker AutoML job (tabular, or text
/// classification with --text-column) and shows a live leaderboard; <c>kiln predict</c> asks its best candidate.
/// Like Canvas, a quick build tries few candidates in minutes and a standard build many more.
/// </summary>
internal static class AutoMLCommand
{
    private const string Role = "arn:aws:iam::000000000000:role/kiln-cli";

    /// <summary>The runtime limit of a quick build: two minutes less a margin for the upload and the last status.</summary>
    private const int QuickBuildSeconds = 110;

    public static Command Create()
    {
        var data = new Option<FileInfo>("--data", "-d") { Description = "Training data: a CSV file with a header row", Required = true };
        var target = new Option<string>("--target", "-t") { Description = "The column to predict", Required = true };
        var text = new Option<string?>("--text-column") { Description = "For text classification: the column holding the text" };
        var build = new Option<string>("--build") { Description = "quick (8 candidates, at most 110 s) or standard (32 candidates)", DefaultValueFactory = _ => "quick" };
        build.AcceptOnlyFromAmong("quick", "standard");
        var candidates = new Option<int?>("--candidates") { Description = "Candidates to train (overrides --build)" };
        var objective = new Option<string?>("--objective") { Description = "Accuracy, F1, AUC, BalancedAccuracy, MSE, RMSE, MAE, R2, … (default: F1 for two classes, Accuracy for more, MSE for numbers)" };
        var mode = new Option<string>("--mode") { Description = "AUTO, ENSEMBLING or HYPERPARAMETER_TUNING", DefaultValueFactory = _ => "AUTO" };
        mode.AcceptOnlyFromAmong("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING");
        var name = new Option<string?>("--name") { Description = "AutoML job name (default: automl-time)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the job and return" };
        var command = new Command("automl", "Find a model for a CSV automatically (AutoML), with a live leaderboard.") { data, target, text, build, candidates, objective, mode, name, noWait };
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var file = result.GetValue(data)!;
                if (!file.Exists)
                {
                    return Output.Fail($"No such file: {file.FullName}");
                }

                var header = CsvFile.Read(file, headerOnly: true).Header;
                var targetColumn = result.GetValue(target)!;
                if (!header.Contains(targetColumn))
                {
                    return Output.Fail($"The column '{targetColumn}' is not in {file.Name}'s header ({string.Join(", ", header.Take(12))}).");
                }

                var jobName = result.GetValue(name) ?? $"automl-{client.Clock.GetUtcNow():MMdd-HHmmss}";
                await client.PutObjectAsync(TrainingData.Bucket, $"{jobName}/input/{file.Name}", await File.ReadAllBytesAsync(file.FullName, ct), ct);
                var quick = result.GetValue(build) != "standard";
                var maxCandidates = result.GetValue(candidates) ?? (quick ? 8 : 32);
                // A quick build is bounded in time too, so it ends within two minutes on any size of table.
                var criteria = new Dictionary<string, int> { ["MaxCandidates"] = maxCandidates };
                if (quick)
                {
                    criteria["MaxAutoMLJobRuntimeInSeconds"] = QuickBuildSeconds;
                }

                var textColumn = result.GetValue(text);
                object problem = textColumn is null
                    ? new { TabularJobConfig = new { TargetAttributeName = targetColumn, CompletionCriteria = criteria, Mode = result.GetValue(mode) } }
                    : new { TextClassificationJobConfig = new { ContentColumn = textColumn, TargetLabelColumn = targetColumn, CompletionCriteria = criteria } };
                var metric = result.GetValue(objective);
                await client.SageMakerAsync("CreateAutoMLJobV2", new Dictionary<string, object?>
                {
                    ["AutoMLJobName"] = jobName,
                    ["RoleArn"] = Role,
                    ["AutoMLJobInputDataConfig"] = new[]
                    {
                        new
                        {
                            ChannelType = "training",
                            ContentType = "text/csv;header=present",
                            DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = $"s3://{TrainingData.Bucket}/{jobName}/input/" } },
                        },
                    },
                    ["OutputDataConfig"] = new { S3OutputPath = $"s3://{TrainingData.Bucket}/automl" },
                    ["AutoMLProblemTypeConfig"] = problem,
                    ["AutoMLJobObjective"] = metric is null ? null : new { MetricName = metric },
                }, ct);
                AnsiConsole.MarkupLine($"Started AutoML job [bold]{Markup.Escape(jobName)}[/]: {maxCandidates} candidates, target [bold]{Markup.Escape(targetColumn)}[/].");
                if (result.GetValue(noWait))
                {
                    return 0;
                }

                var final = await WatchAsync(client, jobName, ct);
                Summary(client, final);
                return final["AutoMLJobStatus"]?.GetValue<string>() == "Completed" ? 0 : 1;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    /// <summary><c>kiln predict JOB --data rows.csv</c>: deploys the AutoML job's best candidate (once) and prints its predictions.</summary>
    public static Command Predict()
    {
        var job = new Argument<string>("automl-job") { Description = "The AutoML job whose best candidate predicts" };
        var data = new Option<FileInfo>("--data", "-d") { Description = "Rows to predict: a CSV file with a header row (the target column, if present, is ignored)", Required = true };
        var command = new Command("predict", "Predict rows of a CSV with an AutoML job's best candidate.") { job, data };
        command.SetAction(async (result, ct) =>
        {
            using var client = CliOptions.Client(result);
            try
            {
                var name = result.GetValue(job)!;
                var described = await client.SageMakerAsync("DescribeAutoMLJobV2", new { AutoMLJobName = name }, ct);
                if (described["BestCandidate"] is not JsonObject best)
                {
                    return Output.Fail($"The AutoML job {name} has no best candidate yet (it is {described["AutoMLJobStatus"]}/{described["AutoMLJobSecondaryStatus"]}).");
                }

                var file = result.GetValue(data)!;
                if (!file.Exists)
                {
                    return Output.Fail($"No such file: {file.FullName}");
                }

                var endpoint = described["ModelDeployResult"]?["EndpointName"]?.GetValue<string>() ?? await DeployAsync(client, name, best, ct);
                var (body, contentType, rows) = Request(file, described);
                var (response, _, _) = await client.InvokeAsync(endpoint, body, contentType, "application/json", null, ct);
                var predictions = Output.Objects(JsonNode.Parse(response)?["predictions"]).ToList();
                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(JsonNode.Parse(response)!);
                    return 0;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumns("Row", "Prediction", "Probability", "Input");
                for (var i = 0; i < predictions.Count; i++)
                {
                    var probabilities = predictions[i]["probabilities"]?.AsArray().Select(p => p!.GetValue<double>()).ToList();
                    table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture),
                        Output.Text(predictions[i]["predicted_label"] ?? predictions[i]["score"]),
                        probabilities is { Count: > 0 } ? probabilities.Max().ToString("P1", CultureInfo.InvariantCulture) : "",
                        Markup.Escape(rows[i].Length > 60 ? rows[i][..57] + "..." : rows[i]));
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine($"{predictions.Count} predictions by [bold]{Output.Text(best["CandidateName"])}[/] on endpoint {Markup.Escape(endpoint)}.");
                return 0;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>The rows as the endpoint takes them: CSV without the header and target column, or the text column as JSON instances.</summary>
    private static (string Body, string ContentType, List<string> Rows) Request(FileInfo file, JsonObject described)
    {
        var csv = CsvFile.Read(file);
        var problem = described["AutoMLProblemTypeConfig"];
        if (problem?["TextClassificationJobConfig"] is JsonObject textConfig)
        {
            var texts = csv.Column(csv.Header.IndexOf(textConfig["ContentColumn"]!.GetValue<string>()));
            return (JsonSerializer.Serialize(new { instances = texts }), "application/json", texts);
        }

        var target = problem?["TabularJobConfig"]?["TargetAttributeName"]?.GetValue<string>();
        var targetIndex = target is null ? -1 : csv.Header.IndexOf(target);
        var rows = csv.Rows.Select(cells => string.Join(',', cells.Where((_, i) => i != targetIndex).Select(Quote))).ToList();
        return (string.Join('\n', rows), "text/csv", rows);
    }

    private static string Quote(string cell) => cell.AsSpan().IndexOfAny(",\"") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;

    private static async Task<string> DeployAsync(KilnClient client, string job, JsonObject best, CancellationToken ct)
    {
        var endpoint = $"{job}-predict";
        try
        {
            var existing = await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }, ct);
            if (existing["EndpointStatus"]?.GetValue<string>() == "InService")
            {
                return endpoint;
            }
        }
        catch (KilnApiException)
        {
            AnsiConsole.MarkupLine($"Deploying the best candidate to endpoint [bold]{Markup.Escape(endpoint)}[/]…");
            await client.SageMakerAsync("CreateModel", new { ModelName = endpoint, ExecutionRoleArn = Role, Containers = best["InferenceContainers"] }, ct);
            await client.SageMakerAsync("CreateEndpointConfig", new
            {
                EndpointConfigName = endpoint,
                ProductionVariants = new[] { new { VariantName = "AllTraffic", ModelName = endpoint, InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1 } },
            }, ct);
            await client.SageMakerAsync("CreateEndpoint", new { EndpointName = endpoint, EndpointConfigName = endpoint }, ct);
        }

        for (var attempt = 0; attempt < 600; attempt++)
        {
            var status = (await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = endpoint }, ct))["EndpointStatus"]?.GetValue<string>();
            if (status == "InService")
            {
                return endpoint;
            }

            if (status == "Failed")
            {
                throw new KilnApiException("ModelError", $"The endpoint {endpoint} failed to start.");
            }

            await Task.Delay(200, ct);
        }

        throw new KilnApiException("Timeout", $"The endpoint {endpoint} did not come into service.");
    }

    private static async Task<JsonObject> WatchAsync(KilnClient client, string name, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        JsonObject described = [];
        await AnsiConsole.Live(new Text("Starting…")).StartAsync(async live =>
        {
            while (true)
            {
                described = await client.SageMakerAsync("DescribeAutoMLJobV2", new { AutoMLJobName = name }, ct);
                var candidates = await client.SageMakerAsync("ListCandidatesForAutoMLJob", new { AutoMLJobName = name, MaxResults = 100, SortBy = "FinalObjectiveMetricValue" }, ct);
                live.UpdateTarget(Leaderboard(described, candidates, clock.Elapsed));
                if (described["AutoMLJobStatus"]?.GetValue<string>() is "Completed" or "Failed" or "Stopped")
                {
                    return;
                }

                await Task.Delay(500, ct);
            }
        });
        return described;
    }

    private static IRenderable Leaderboard(JsonObject described, JsonObject candidates, TimeSpan elapsed)
    {
        var metric = described["ResolvedAttributes"]?["AutoMLJobObjective"]?["MetricName"]?.GetValue<string>() ?? "objective";
        var all = Output.Objects(candidates["Candidates"]).ToList();
        var header = new Markup($"[bold]{Output.Text(described["AutoMLJobName"])}[/] · {JobsCommand.StatusMarkup(described["AutoMLJobStatus"]?.GetValue<string>())} · "
            + $"[blue]{Output.Text(described["AutoMLJobSecondaryStatus"])}[/] · {all.Count(c => c["CandidateStatus"]?.GetValue<string>() == "Completed")} candidates scored, "
            + $"{all.Count(c => c["CandidateStatus"]?.GetValue<string>() == "InProgress")} training · {elapsed.TotalSeconds:F0}s");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("#", "Candidate", "Pipeline", "Status", metric, "Other metrics");
        var rank = 0;
        foreach (var candidate in all.Take(15))
        {
            rank++;
            var metrics = Output.Objects(candidate["CandidateProperties"]?["CandidateMetrics"])
                .Where(m => m["StandardMetricName"]?.GetValue<string>() is { } n && n != metric && n != "InferenceLatency")
                .Take(4)
                .Select(m => $"{m["StandardMetricName"]}={m["Value"]?.GetValue<double>().ToString("G4", CultureInfo.InvariantCulture)}");
            var steps = Output.Objects(candidate["CandidateSteps"]).ToList();
            table.AddRow(
                rank == 1 && candidate["FinalAutoMLJobObjectiveMetric"] is not null ? "[green]1[/]" : rank.ToString(CultureInfo.InvariantCulture),
                Output.Text(candidate["CandidateName"]),
                steps.Count > 1 ? $"ensemble of {steps.Count}" : Markup.Escape(Image(candidate)),
                JobsCommand.StatusMarkup(candidate["CandidateStatus"]?.GetValue<string>()),
                Output.Number(candidate["FinalAutoMLJobObjectiveMetric"]?["Value"]),
                Markup.Escape(string.Join(" ", metrics)));
        }

        return new Rows(header, table);
    }

    private static string Image(JsonObject candidate)
    {
        var image = Output.Objects(candidate["InferenceContainers"]).FirstOrDefault()?["Image"]?.GetValue<string>() ?? "";
        var repository = image[(image.LastIndexOf('/') + 1)..];
        return repository.Split(':')[0].Replace("sagemaker-", "", StringComparison.Ordinal);
    }

    private static void Summary(KilnClient client, JsonObject described)
    {
        if (described["FailureReason"] is { } failure)
        {
            AnsiConsole.MarkupLine($"[red]Failed:[/] {Output.Text(failure)}");
        }

        if (described["BestCandidate"] is JsonObject best)
        {
            AnsiConsole.MarkupLine($"Best candidate [green]{Output.Text(best["CandidateName"])}[/]: {Output.Text(best["FinalAutoMLJobObjectiveMetric"]?["MetricName"])} = {Output.Number(best["FinalAutoMLJobObjectiveMetric"]?["Value"])}");
            AnsiConsole.MarkupLine($"Predict with it: [bold]kiln predict {Output.Text(described["AutoMLJobName"])} --data rows.csv[/]");
        }

        var reports = new[]
        {
            ("Data exploration", "data-exploration", described["AutoMLJobArtifacts"]?["DataExplorationNotebookLocation"]),
            ("Candidates", "candidates", described["AutoMLJobArtifacts"]?["CandidateDefinitionNotebookLocation"]),
            ("Explainability", "explainability", described["BestCandidate"]?["CandidateProperties"]?["CandidateArtifactLocations"]?["Explainability"]),
            ("Model insights", "model-insights", described["BestCandidate"]?["CandidateProperties"]?["CandidateArtifactLocations"]?["ModelInsights"]),
        };
        foreach (var (label, report, _) in reports.Where(report => report.Item3 is not null))
        {
            var url = new Uri(client.BaseAddress, $"api/kiln/automl-jobs/{Uri.EscapeDataString(described["AutoMLJobName"]!.GetValue<string>())}/reports/{report}");
            AnsiConsole.MarkupLine($"{label} report: [link]{Markup.Escape(url.ToString())}[/]");
        }
    }
}
