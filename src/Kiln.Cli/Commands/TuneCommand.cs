using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln tune --data churn.csv --target churn</c>: uploads a CSV, starts a SageMaker hyperparameter tuning job
/// over the built-in xgboost (sensible ranges unless --range says otherwise), and shows a live leaderboard.
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data", "-d") { Description = "Training data: a CSV file with a header row", Required = true };
        var target = new Option<string>("--target", "-t") { Description = "The column to predict", Required = true };
        var validation = new Option<FileInfo?>("--validation") { Description = "Validation CSV (default: 20% of --data, held out)" };
        var name = new Option<string?>("--name") { Description = "Tuning job name (default: tune-time)" };
        var strategy = new Option<string>("--strategy") { Description = "Bayesian, Random, Grid or Hyperband", DefaultValueFactory = _ => "Bayesian" };
        var trials = new Option<int>("--trials") { Description = "Training jobs to run", DefaultValueFactory = _ => 20 };
        var parallel = new Option<int>("--parallel") { Description = "Training jobs at once", DefaultValueFactory = _ => 2 };
        var objective = new Option<string?>("--objective") { Description = "The metric to optimize (default: validation:auc for classes, validation:rmse for numbers)" };
        var ranges = new Option<string[]>("--range") { Description = "A searched hyperparameter: name=min:max[:log] or name=a,b,c (repeatable)" };
        var hyperParameters = new Option<string[]>("--hp") { Description = "A fixed hyperparameter, name=value (repeatable)" };
        var earlyStopping = new Option<bool>("--early-stopping") { Description = "Stop trials that cannot beat the median of earlier ones" };
        var seed = new Option<int>("--seed") { Description = "Random seed of the search", DefaultValueFactory = _ => 0 };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the tuning job and return" };
        var command = new Command("tune", "Tune xgboost's hyperparameters on a CSV, with a live leaderboard.")
        {
            data, target, validation, name, strategy, trials, parallel, objective, ranges, hyperParameters, earlyStopping, seed, noWait,
        };
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

                var jobName = result.GetValue(name) ?? $"tune-{client.Clock.GetUtcNow():MMdd-HHmmss}";
                var upload = await TrainingData.UploadAsync(client, file, result.GetValue(target)!, result.GetValue(validation), jobName, ct);
                if (upload is null)
                {
                    return Output.Fail($"The column '{result.GetValue(target)}' is not in {file.Name}'s header.");
                }

                var fixedValues = TrainCommand.Defaults("xgboost", upload.TargetValues, upload.TargetColumn);
                foreach (var pair in result.GetValue(hyperParameters) ?? [])
                {
                    var (key, value) = Split(pair, "--hp");
                    fixedValues[key] = value;
                }

                var regression = fixedValues["objective"].StartsWith("reg:", StringComparison.Ordinal);
                var metric = result.GetValue(objective) ?? (regression ? "validation:rmse" : fixedValues["objective"] == "binary:logistic" ? "validation:auc" : "validation:mlogloss");
                var maximize = metric.EndsWith("auc", StringComparison.Ordinal) || metric.EndsWith("aucpr", StringComparison.Ordinal) || metric.EndsWith("accuracy", StringComparison.Ordinal) || metric.EndsWith("f1", StringComparison.Ordinal) || metric.EndsWith("r2", StringComparison.Ordinal);
                var parameterRanges = Ranges(result.GetValue(ranges) ?? []);
                foreach (var searched in parameterRanges.Names)
                {
                    fixedValues.Remove(searched);
                }

                var strategyName = result.GetValue(strategy)!;
                await client.SageMakerAsync("CreateHyperParameterTuningJob", new
                {
                    HyperParameterTuningJobName = jobName,
                    HyperParameterTuningJobConfig = new
                    {
                        Strategy = strategyName,
                        HyperParameterTuningJobObjective = new { Type = maximize ? "Maximize" : "Minimize", MetricName = metric },
                        ResourceLimits = strategyName == "Grid"
                            ? (object)new { MaxParallelTrainingJobs = result.GetValue(parallel) }
                            : new { MaxNumberOfTrainingJobs = result.GetValue(trials), MaxParallelTrainingJobs = result.GetValue(parallel) },
                        ParameterRanges = parameterRanges.Shape,
                        TrainingJobEarlyStoppingType = result.GetValue(earlyStopping) ? "Auto" : "Off",
                        RandomSeed = result.GetValue(seed),
                    },
                    TrainingJobDefinition = new
                    {
                        StaticHyperParameters = fixedValues,
                        AlgorithmSpecification = new { TrainingImage = "xgboost", TrainingInputMode = "File" },
                        RoleArn = "arn:aws:iam::000000000000:role/kiln-cli",
                        InputDataConfig = upload.Channels(),
                        OutputDataConfig = new { S3OutputPath = $"s3://{TrainingData.Bucket}/output" },
                        StoppingCondition = new { MaxRuntimeInSeconds = 86_400 },
                    },
                }, ct);
                AnsiConsole.MarkupLine($"Started tuning job [bold]{Markup.Escape(jobName)}[/]: {Markup.Escape(strategyName)}, {(maximize ? "maximize" : "minimize")} {Markup.Escape(metric)}, {upload.TrainRows} training rows.");
                if (result.GetValue(noWait))
                {
                    return 0;
                }

                var final = await WatchAsync(client, jobName, metric, ct);
                return final["HyperParameterTuningJobStatus"]?.GetValue<string>() == "Completed" ? 0 : 1;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
            catch (FormatException e)
            {
                return Output.Fail(e.Message);
            }
        });
        return command;
    }

    /// <summary>Redraws the leaderboard (best first) every half second until the tuning job ends.</summary>
    internal static async Task<JsonObject> WatchAsync(KilnClient client, string name, string metric, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        JsonObject described = [];
        await AnsiConsole.Live(new Text("Starting…")).StartAsync(async live =>
        {
            while (true)
            {
                described = await client.SageMakerAsync("DescribeHyperParameterTuningJob", new { HyperParameterTuningJobName = name }, ct);
                var trials = await client.SageMakerAsync("ListTrainingJobsForHyperParameterTuningJob", new { HyperParameterTuningJobName = name, MaxResults = 100, SortBy = "FinalObjectiveMetricValue", SortOrder = "Descending" }, ct);
                live.UpdateTarget(Leaderboard(described, trials, metric, clock.Elapsed));
                if (described["HyperParameterTuningJobStatus"]?.GetValue<string>() is "Completed" or "Failed" or "Stopped")
                {
                    return;
                }

                await Task.Delay(500, ct);
            }
        });
        return described;
    }

    private static IRenderable Leaderboard(JsonObject described, JsonObject trials, string metric, TimeSpan elapsed)
    {
        var counters = described["TrainingJobStatusCounters"];
        var status = described["HyperParameterTuningJobStatus"]?.GetValue<string>();
        var header = new Markup($"[bold]{Output.Text(described["HyperParameterTuningJobName"])}[/] · {JobsCommand.StatusMarkup(status)} · "
            + $"{Output.Number(counters?["Completed"])} completed, {Output.Number(counters?["InProgress"])} running, {Output.Number(counters?["Stopped"])} stopped early, "
            + $"{Output.Number(counters?["NonRetryableError"])} failed · {elapsed.TotalSeconds:F0}s");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("#", "Training job", "Status", metric, "Hyperparameters");
        var rank = 0;
        foreach (var trial in Output.Objects(trials["TrainingJobSummaries"]).Take(15))
        {
            rank++;
            var value = trial["FinalHyperParameterTuningJobObjectiveMetric"]?["Value"];
            var tuned = trial["TunedHyperParameters"]?.AsObject().Select(pair => $"{pair.Key}={Short(pair.Value?.GetValue<string>())}") ?? [];
            table.AddRow(
                rank == 1 && value is not null ? "[green]1[/]" : rank.ToString(CultureInfo.InvariantCulture),
                Output.Text(trial["TrainingJobName"]),
                JobsCommand.StatusMarkup(trial["TrainingJobStatus"]?.GetValue<string>()),
                Output.Number(value),
                Markup.Escape(string.Join(" ", tuned)));
        }

        return new Rows(header, table);
    }

    private static string Short(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && value!.Contains('.', StringComparison.Ordinal)
            ? number.ToString("G4", CultureInfo.InvariantCulture)
            : value ?? "";

    /// <summary>--range values as SageMaker's ParameterRanges; the defaults search xgboost's usual knobs.</summary>
    private static (object Shape, IReadOnlyList<string> Names) Ranges(string[] given)
    {
        var specs = given.Length > 0 ? given : ["eta=0.01:0.3:log", "max_depth=3:8", "min_child_weight=1:10", "subsample=0.5:1"];
        var integers = new List<object>();
        var continuous = new List<object>();
        var categorical = new List<object>();
        var names = new List<string>();
        foreach (var spec in specs)
        {
            var (key, value) = Split(spec, "--range");
            names.Add(key);
            var parts = value.Split(':');
            if (parts.Length is 2 or 3)
            {
                var scaling = parts.Length == 3 && parts[2] == "log" ? "Logarithmic" : "Linear";
                var isInteger = long.TryParse(parts[0], out _) && long.TryParse(parts[1], out _) && key is not ("subsample" or "colsample_bytree" or "eta" or "min_child_weight" or "lambda" or "alpha" or "gamma");
                (isInteger ? integers : continuous).Add(new { Name = key, MinValue = parts[0], MaxValue = parts[1], ScalingType = scaling });
            }
            else
            {
                categorical.Add(new { Name = key, Values = value.Split(',') });
            }
        }

        return (new { IntegerParameterRanges = integers, ContinuousParameterRanges = continuous, CategoricalParameterRanges = categorical }, names);
    }

    private static (string Key, string Value) Split(string pair, string option)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 ? (pair[..equals], pair[(equals + 1)..]) : throw new FormatException($"{option} takes name=value, got '{pair}'.");
    }
}
