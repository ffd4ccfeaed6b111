using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Kiln.Core.Tabular;
using Kiln.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln quickstart</c>: starts Kiln on the embedded default, trains a real classifier on the bundled
/// breast-cancer data, and records it the way any MLflow client would — experiment, run, params,
/// metric history, dataset input, model artifact, registered model version and alias — all through
/// the HTTP API. Then it keeps serving so the result can be explored.
/// </summary>
internal static class QuickstartCommand
{
    private const string ExperimentName = "quickstart";
    private const string ModelName = "breast-cancer-classifier";

    public static Command Create()
    {
        var exit = new Option<bool>("--exit") { Description = "Stop the server once the demo run is recorded" };
        var command = new Command("quickstart", "Start Kiln, train and record a real model on bundled data, and show where to look.")
        {
            ServerCommand.Port, ServerCommand.DataDir, exit,
        };
        command.SetAction(async (result, ct) =>
        {
            var options = new KilnServerOptions { Port = result.GetValue(ServerCommand.Port), DataDirectory = Path.GetFullPath(result.GetValue(ServerCommand.DataDir)!) };
            Microsoft.AspNetCore.Builder.WebApplication started;
            try
            {
                started = await KilnServer.StartAsync(options, Quiet, ct);
            }
            catch (IOException) when (options.Port != 0)
            {
                AnsiConsole.MarkupLine($"[yellow]Port {options.Port} is busy; using a free port instead.[/]");
                return await RunAsync(options with { Port = 0 }, result.GetValue(exit), ct);
            }

            await using var app = started;
            return await DemoAndServeAsync(app, options, result.GetValue(exit), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(KilnServerOptions options, bool exit, CancellationToken ct)
    {
        await using var app = await KilnServer.StartAsync(options, Quiet, ct);
        return await DemoAndServeAsync(app, options, exit, ct);
    }

    private static void Quiet(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Logging.SetMinimumLevel(LogLevel.Warning);

    private static async Task<int> DemoAndServeAsync(Microsoft.AspNetCore.Builder.WebApplication app, KilnServerOptions options, bool exit, CancellationToken ct)
    {
        var address = app.Addresses()[0].Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        AnsiConsole.Write(new Rule("[bold orange1]Kiln quickstart[/]").LeftJustified());
        AnsiConsole.MarkupLine($"Kiln is listening on [link]{address}[/] — SQLite metadata at [grey]{options.DatabasePath}[/], artifacts under [grey]{options.ArtifactDirectory}[/]");

        using var client = new KilnClient(new Uri(address + "/"), TimeProvider.System);
        var csv = ReadBundledCsv();
        var summary = await RecordDemoRunAsync(client, csv, ct);

        var table = new Table().Border(TableBorder.Rounded).AddColumns("What", "Where");
        table.AddRow("Experiment", $"{ExperimentName} (id {summary.ExperimentId})");
        table.AddRow("Run", $"{summary.RunName} ({summary.RunId})");
        table.AddRow("Held-out accuracy / AUC", $"{summary.Accuracy:P1} / {summary.Auc:F4}");
        table.AddRow("Registered model", $"{ModelName} v{summary.Version} @champion");
        table.AddRow("Model artifact", $"{summary.ArtifactUri}/model/model.zip");
        AnsiConsole.Write(table);

        AnsiConsole.MarkupLine("\n[bold]The same data through the SageMaker API[/]: a built-in XGBoost training job, an endpoint with data capture, live predictions.");
        QuickstartDeployment.Result? deployed = null;
        try
        {
            deployed = await QuickstartDeployment.RunAsync(client, csv, ct);
            QuickstartDeployment.Render(deployed);
        }
        catch (KilnApiException e)
        {
            // The tracked run is already there to look at, so Kiln still serves; the error says what to inspect.
            AnsiConsole.MarkupLine($"[red]The SageMaker part stopped:[/] {Markup.Escape(e.Code)}: {Markup.Escape(e.Message)}");
        }

        // Plain lines, not a table: a link wrapped to the console's width would no longer open.
        AnsiConsole.MarkupLine($"\n[bold]Open Kiln Studio:[/] {address}/");
        AnsiConsole.MarkupLine("[grey]Each record above has its page there:[/]");
        foreach (var (record, path) in StudioLinks(summary, deployed))
        {
            Console.Out.WriteLine($"  {record,-17} {address}{path}");
        }

        var url = $" --url {address}";
        AnsiConsole.MarkupLine("\n[bold]Or from another terminal:[/]");
        AnsiConsole.MarkupLine($"  ./kiln runs list --experiment {ExperimentName} --filter \"metrics.auc > 0.9\"{url}");
        AnsiConsole.MarkupLine($"  ./kiln runs show {summary.RunId}{url}");
        AnsiConsole.MarkupLine($"  ./kiln models list{url}");
        if (deployed is not null)
        {
            AnsiConsole.MarkupLine($"  ./kiln jobs show {deployed.JobName}{url}");
            AnsiConsole.MarkupLine($"  ./kiln endpoints show {QuickstartDeployment.Endpoint}{url}");
        }

        AnsiConsole.MarkupLine($"  curl '{address}/api/2.0/mlflow/runs/get?run_id={summary.RunId}'");
        AnsiConsole.MarkupLine($"  MLFLOW_TRACKING_URI={address} python your_training_script.py   [grey]# any MLflow client[/]");

        if (exit)
        {
            await app.StopAsync(ct);
            return 0;
        }

        AnsiConsole.MarkupLine("\n[grey]Kiln keeps serving; press Ctrl+C to stop.[/]");
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    private sealed record Summary(string ExperimentId, string RunId, string RunName, string ArtifactUri, double Accuracy, double Auc, string Version);

    /// <summary>Where Kiln Studio (the web UI at the base URL) shows each record the quickstart made.</summary>
    private static List<(string Record, string Path)> StudioLinks(Summary run, QuickstartDeployment.Result? deployed)
    {
        List<(string Record, string Path)> links =
        [
            ("Run", $"/runs/{run.RunId}"),
            ("Registered model", $"/models/{Uri.EscapeDataString(ModelName)}/versions/{run.Version}"),
        ];
        if (deployed is not null)
        {
            links.Add(("Training job", $"/jobs/training/{deployed.JobName}"));
            links.Add(("Endpoint", $"/endpoints/{QuickstartDeployment.Endpoint}"));
            links.Add(("Captured data", $"/endpoints/{QuickstartDeployment.Endpoint}#capture-heading"));
        }

        return links;
    }

    private static async Task<Summary> RecordDemoRunAsync(KilnClient client, string csv, CancellationToken ct)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(csv)))[..8];
        var rows = ParseRows(csv);

        string experimentId;
        try
        {
            experimentId = (await client.PostAsync("experiments/create", new { name = ExperimentName }, ct))["experiment_id"]!.GetValue<string>();
        }
        catch (KilnApiException e) when (e.Code == "RESOURCE_ALREADY_EXISTS")
        {
            experimentId = await RunsCommand.ResolveExperimentAsync(client, ExperimentName, ct);
        }

        var run = (await client.PostAsync("runs/create", new
        {
            experiment_id = experimentId,
            run_name = $"logreg-{client.Clock.GetUtcNow():HHmmss}",
            start_time = Now(client.Clock),
            tags = new[] { new { key = "mlflow.source.name", value = "kiln quickstart" }, new { key = "mlflow.user", value = Environment.UserName } },
        }, ct))["run"]!["info"]!;
        var runId = run["run_id"]!.GetValue<string>();
        var artifactUri = run["artifact_uri"]!.GetValue<string>();

        var ml = new MLContext(seed: 42);
        var data = ml.Data.LoadFromEnumerable(rows);
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: 42);
        const float L2 = 0.01f;
        int[] iterations = [1, 2, 4, 8, 16, 32, 64];

        await client.PostAsync("runs/log-batch", new
        {
            run_id = runId,
            @params = new[]
            {
                new { key = "algorithm", value = "sdca-logistic-regression" },
                new { key = "l2_regularization", value = L2.ToString(CultureInfo.InvariantCulture) },
                new { key = "max_iterations", value = iterations[^1].ToString(CultureInfo.InvariantCulture) },
                new { key = "features", value = "30" },
                new { key = "test_fraction", value = "0.2" },
            },
        }, ct);
        await client.PostAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    dataset = new { name = "breast_cancer", digest, source_type = "local", source = "samples/data/breast_cancer.csv" },
                    tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                },
            },
        }, ct);

        TransformerChain<BinaryPredictionTransformer<Microsoft.ML.Calibrators.CalibratedModelParametersBase<LinearBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>>>? model = null;
        CalibratedBinaryClassificationMetrics? metrics = null;
        await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn()).StartAsync(async progress =>
        {
            var task = progress.AddTask("Training logistic regression", maxValue: iterations.Length);
            foreach (var count in iterations)
            {
                var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
                    .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
                    {
                        MaximumNumberOfIterations = count,
                        L2Regularization = L2,
                        NumberOfThreads = 1,
                    }));
                model = pipeline.Fit(split.TrainSet);
                metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
                var timestamp = Now(client.Clock);
                await client.PostAsync("runs/log-batch", new
                {
                    run_id = runId,
                    metrics = new[]
                    {
                        new { key = "accuracy", value = metrics.Accuracy, timestamp, step = (long)count },
                        new { key = "auc", value = metrics.AreaUnderRocCurve, timestamp, step = (long)count },
                        new { key = "log_loss", value = metrics.LogLoss, timestamp, step = (long)count },
                        new { key = "f1", value = metrics.F1Score, timestamp, step = (long)count },
                    },
                }, ct);
                task.Increment(1);
            }
        });

        using var zip = new MemoryStream();
        ml.Model.Save(model!, split.TrainSet.Schema, zip);
        await client.UploadArtifactAsync(artifactUri, "model/model.zip", zip.ToArray(), ct);
        var mlmodel = $"artifact_path: model\nflavors:\n  mlnet:\n    model_file: model.zip\n    framework: ML.NET\nrun_id: {runId}\nutc_time_created: '{client.Clock.GetUtcNow():yyyy-MM-dd HH:mm:ss.ffffff}'\n";
        await client.UploadArtifactAsync(artifactUri, "model/MLmodel", System.Text.Encoding.UTF8.GetBytes(mlmodel), ct);
        await client.PostAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = Now(client.Clock) }, ct);

        try
        {
            await client.PostAsync("registered-models/create", new { name = ModelName, description = "Benign vs malignant, from kiln quickstart" }, ct);
        }
        catch (KilnApiException e) when (e.Code == "RESOURCE_ALREADY_EXISTS")
        {
        }

        var version = (await client.PostAsync("model-versions/create", new { name = ModelName, source = $"runs:/{runId}/model", run_id = runId }, ct))["model_version"]!["version"]!.GetValue<string>();
        await client.PostAsync("registered-models/alias", new { name = ModelName, alias = "champion", version }, ct);
        return new Summary(experimentId, runId, run["run_name"]!.GetValue<string>(), artifactUri, metrics!.Accuracy, metrics.AreaUnderRocCurve, version);
    }

    private static long Now(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string ReadBundledCsv()
    {
        using var stream = typeof(QuickstartCommand).Assembly.GetManifestResourceStream("breast_cancer.csv")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed class Row
    {
        [VectorType(30)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>30 numeric features, then the diagnosis (M = malignant is the positive class).</summary>
    private static List<Row> ParseRows(string csv)
    {
        using var reader = CsvReader.FromText(csv, header: true);
        var rows = new List<Row>();
        while (reader.Read())
        {
            var features = new float[30];
            for (var i = 0; i < features.Length; i++)
            {
                features[i] = reader[i].ToFloat();
            }

            rows.Add(new Row { Features = features, Label = reader[30].ToString() == "M" });
        }

        return rows;
    }
}
