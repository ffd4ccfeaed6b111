using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// The SageMaker half of <c>kiln quickstart</c>, done the way a boto3 user would: upload the bundled data through
/// the S3 endpoint, train the built-in XGBoost as a training job, deploy its model behind an endpoint that
/// captures all traffic, and send a few rows through InvokeEndpoint. A rerun on the same data folder trains a
/// new job and updates the same endpoint to it (blue/green), so it never collides with what an earlier run made.
/// </summary>
internal static class QuickstartDeployment
{
    public const string Bucket = "kiln-quickstart";
    public const string Endpoint = "breast-cancer-xgboost";
    public const string CaptureUri = $"s3://{Bucket}/capture";
    private const string Role = "arn:aws:iam::000000000000:role/kiln-quickstart";
    private const string Target = "diagnosis";
    private const int PredictionCount = 6;

    /// <summary>A prediction for a data row of the bundled CSV (numbered from 1 after the header).</summary>
    public sealed record Prediction(int Row, string Features, string TrueLabel, string PredictedLabel, double Score)
    {
        /// <summary>The probability of the predicted label (the score is the positive class's).</summary>
        public double Confidence => Score >= 0.5 ? Score : 1 - Score;
    }

    public sealed record Result(string JobName, string? ValidationAuc, string EndpointConfig, IReadOnlyList<Prediction> Predictions, long Captured);

    public static async Task<Result> RunAsync(KilnClient client, string csv, CancellationToken ct)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (header, rows) = (lines[0], lines[1..]);

        // Every fifth row is held out: the job reports validation metrics on it and the predictions below use it,
        // so the endpoint is asked about rows it did not train on.
        var validation = rows.Where((_, i) => i % 5 == 0).ToArray();
        var train = rows.Where((_, i) => i % 5 != 0).ToArray();
        await client.PutObjectAsync(Bucket, "breast-cancer/train/train.csv", Encoding.UTF8.GetBytes(string.Join('\n', [header, .. train]) + "\n"), ct);
        await client.PutObjectAsync(Bucket, "breast-cancer/validation/validation.csv", Encoding.UTF8.GetBytes(string.Join('\n', [header, .. validation]) + "\n"), ct);

        var jobName = $"quickstart-xgboost-{client.Clock.GetUtcNow():yyyyMMdd-HHmmss}";
        var job = await TrainAsync(client, jobName, ct);
        var config = await DeployAsync(client, jobName, job, ct);
        var predictions = await PredictAsync(client, validation, ct);
        var captured = await WaitForCaptureAsync(client, predictions.Count, ct);
        var auc = Output.Objects(job["FinalMetricDataList"]).FirstOrDefault(m => m["MetricName"]?.GetValue<string>() == "validation:auc")?["Value"];
        return new Result(jobName, auc is null ? null : Output.Number(auc), config, predictions, captured);
    }

    /// <summary>The predictions next to the true labels, then where each record the deployment made is.</summary>
    public static void Render(Result deployed)
    {
        var predictions = new Table().Border(TableBorder.Rounded).Title($"Predictions from {Endpoint}")
            .AddColumns("Row", "True label", "Predicted", "Probability", "");
        foreach (var prediction in deployed.Predictions)
        {
            predictions.AddRow(prediction.Row.ToString(CultureInfo.InvariantCulture), prediction.TrueLabel, prediction.PredictedLabel,
                prediction.Confidence.ToString("P1", CultureInfo.InvariantCulture), prediction.TrueLabel == prediction.PredictedLabel ? "[green]✓[/]" : "[red]✗[/]");
        }

        AnsiConsole.Write(predictions);
        var records = new Table().Border(TableBorder.Rounded).AddColumns("What", "Where");
        records.AddRow("Training data", $"s3://{Bucket}/breast-cancer/");
        records.AddRow("Training job", $"{deployed.JobName} (validation:auc {deployed.ValidationAuc ?? "–"})");
        records.AddRow("Endpoint", $"{Endpoint} (config {deployed.EndpointConfig})");
        records.AddRow("Captured data", $"{CaptureUri}/{Endpoint}/AllTraffic/ ({deployed.Captured} records written)");
        AnsiConsole.Write(records);
    }

    private static async Task<JsonObject> TrainAsync(KilnClient client, string jobName, CancellationToken ct)
    {
        await client.SageMakerAsync("CreateTrainingJob", new
        {
            TrainingJobName = jobName,
            RoleArn = Role,
            AlgorithmSpecification = new { TrainingImage = "xgboost", TrainingInputMode = "File" },
            HyperParameters = new Dictionary<string, string>
            {
                ["objective"] = "binary:logistic",
                ["num_round"] = "50",
                ["max_depth"] = "4",
                ["eta"] = "0.2",
                ["eval_metric"] = "auc",
                ["target_column"] = Target,
            },
            InputDataConfig = new[] { Channel("train"), Channel("validation") },
            OutputDataConfig = new { S3OutputPath = $"s3://{Bucket}/output" },
            ResourceConfig = new { InstanceType = "ml.m5.large", InstanceCount = 1, VolumeSizeInGB = 1 },
            StoppingCondition = new { MaxRuntimeInSeconds = 600 },
        }, ct);

        var job = await PollAsync($"Training job {jobName}", async () =>
        {
            var current = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = jobName }, ct);
            var state = current["TrainingJobStatus"]?.GetValue<string>();
            return (current, $"{state} · {current["SecondaryStatus"]?.GetValue<string>()}", state is "Completed" or "Failed" or "Stopped");
        }, ct);
        if (job["TrainingJobStatus"]?.GetValue<string>() != "Completed")
        {
            throw new KilnApiException("TrainingFailed", $"The training job {jobName} ended {job["TrainingJobStatus"]}: {job["FailureReason"]}");
        }

        return job;
    }

    /// <summary>Creates the model and a capturing endpoint config, then creates the endpoint or moves it to the new config.</summary>
    private static async Task<string> DeployAsync(KilnClient client, string jobName, JsonObject job, CancellationToken ct)
    {
        await client.SageMakerAsync("CreateModel", new
        {
            ModelName = jobName,
            ExecutionRoleArn = Role,
            PrimaryContainer = new { Image = "xgboost", ModelDataUrl = job["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>() },
        }, ct);
        var config = EndpointsCommand.NewConfigName(Endpoint, client.Clock);
        await client.SageMakerAsync("CreateEndpointConfig", new
        {
            EndpointConfigName = config,
            ProductionVariants = new[] { new { VariantName = "AllTraffic", ModelName = jobName, InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 } },
            DataCaptureConfig = new
            {
                EnableCapture = true,
                InitialSamplingPercentage = 100,
                DestinationS3Uri = CaptureUri,
                CaptureOptions = new[] { new { CaptureMode = "Input" }, new { CaptureMode = "Output" } },
            },
        }, ct);

        // An earlier quickstart's endpoint is moved to the new model; one left Failed or half-deployed (stopped mid-way) is replaced.
        string? existing;
        try
        {
            existing = (await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = Endpoint }, ct))["EndpointStatus"]?.GetValue<string>();
        }
        catch (KilnApiException e) when (e.Code == "ValidationException")
        {
            existing = null;
        }

        if (existing is not (null or "InService"))
        {
            await client.SageMakerAsync("DeleteEndpoint", new { EndpointName = Endpoint }, ct);
        }

        await client.SageMakerAsync(existing == "InService" ? "UpdateEndpoint" : "CreateEndpoint", new { EndpointName = Endpoint, EndpointConfigName = config }, ct);
        var endpoint = await PollAsync($"Endpoint {Endpoint}", async () =>
        {
            var current = await client.SageMakerAsync("DescribeEndpoint", new { EndpointName = Endpoint }, ct);
            var state = current["EndpointStatus"]?.GetValue<string>();
            return (current, state ?? "", state is not ("Creating" or "Updating" or "SystemUpdating" or "RollingBack"));
        }, ct);
        if (endpoint["EndpointStatus"]?.GetValue<string>() != "InService" || endpoint["EndpointConfigName"]?.GetValue<string>() != config)
        {
            throw new KilnApiException("DeployFailed", $"The endpoint {Endpoint} is {endpoint["EndpointStatus"]}: {endpoint["FailureReason"]}");
        }

        return config;
    }

    /// <summary>One InvokeEndpoint per held-out row (features only, as CSV), each answered with the label and its probability.</summary>
    private static async Task<List<Prediction>> PredictAsync(KilnClient client, string[] validation, CancellationToken ct)
    {
        // A few of each class, so the table shows the model telling them apart.
        var picked = validation.Select((line, i) => (Line: line, Row: (i * 5) + 1))
            .GroupBy(pair => pair.Line[(pair.Line.LastIndexOf(',') + 1)..])
            .SelectMany(group => group.Take(PredictionCount / 2))
            .OrderBy(pair => pair.Row);
        var predictions = new List<Prediction>();
        foreach (var (line, row) in picked)
        {
            var cut = line.LastIndexOf(',');
            var features = line[..cut];
            var (body, _, _) = await client.InvokeAsync(Endpoint, features, "text/csv", "application/json", null, ct);
            var answer = JsonNode.Parse(body)!["predictions"]![0]!;
            predictions.Add(new Prediction(row, features, line[(cut + 1)..], answer["predicted_label"]!.ToString(), answer["score"]!.GetValue<double>()));
        }

        return predictions;
    }

    /// <summary>Captured records reach the store a couple of seconds after the request (the writer batches them); waits for ours.</summary>
    private static async Task<long> WaitForCaptureAsync(KilnClient client, int sent, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var traffic = await client.NativeAsync($"endpoints/{Endpoint}/traffic", ct);
            var written = traffic["traffic"]?["captureWritten"]?.GetValue<long>() ?? 0;
            if (written >= sent || waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                return written;
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>Polls with a live status line (the state and how long it has taken) until <paramref name="read"/> says it is done.</summary>
    private static async Task<JsonObject> PollAsync(string what, Func<Task<(JsonObject Current, string State, bool Done)>> read, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        JsonObject current = [];
        string state = "";
        await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync(what, async status =>
        {
            while (true)
            {
                (current, state, var done) = await read();
                status.Status($"{Markup.Escape(what)}: {Markup.Escape(state)} · {clock.Elapsed.TotalSeconds:F0}s");
                if (done)
                {
                    return;
                }

                await Task.Delay(250, ct);
            }
        });
        AnsiConsole.MarkupLine($"{Markup.Escape(what)}: [bold]{Markup.Escape(state)}[/] in {clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}s");
        return current;
    }

    private static object Channel(string name) => new
    {
        ChannelName = name,
        ContentType = "text/csv;header=present",
        DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = $"s3://{Bucket}/breast-cancer/{name}/" } },
    };
}
