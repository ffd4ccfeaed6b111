using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln train --algorithm xgboost --data churn.csv --target churn</c>: uploads a CSV (split 80/20 for
/// validation unless one is given) through the S3 endpoint, starts a SageMaker training job with sensible
/// defaults for the target's kind, and shows it live until it ends.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var algorithm = new Option<string>("--algorithm", "-a") { Description = "Built-in algorithm: xgboost, linear-learner, …", DefaultValueFactory = _ => "xgboost" };
        var data = new Option<FileInfo>("--data", "-d") { Description = "Training data: a CSV file with a header row", Required = true };
        var target = new Option<string>("--target", "-t") { Description = "The column to predict", Required = true };
        var validation = new Option<FileInfo?>("--validation") { Description = "Validation CSV (default: 20% of --data, held out)" };
        var name = new Option<string?>("--name") { Description = "Job name (default: algorithm-time)" };
        var hyperParameters = new Option<string[]>("--hp") { Description = "A hyperparameter, name=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the job and return" };
        var command = new Command("train", "Train a model on a CSV with a built-in algorithm, and watch the job.")
        {
            algorithm, data, target, validation, name, hyperParameters, noWait,
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

                var algorithmName = result.GetValue(algorithm)!;
                var jobName = result.GetValue(name) ?? $"{algorithmName}-{client.Clock.GetUtcNow():yyyyMMdd-HHmmss}";
                var upload = await TrainingData.UploadAsync(client, file, result.GetValue(target)!, result.GetValue(validation), jobName, ct);
                if (upload is null)
                {
                    return Output.Fail($"The column '{result.GetValue(target)}' is not in {file.Name}'s header.");
                }

                var (train, valid) = (upload.TrainRows, upload.ValidationRows);
                var values = Defaults(algorithmName, upload.TargetValues, upload.TargetColumn);
                foreach (var pair in result.GetValue(hyperParameters) ?? [])
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        return Output.Fail($"--hp takes name=value, got '{pair}'.");
                    }

                    values[pair[..equals]] = pair[(equals + 1)..];
                }

                await client.SageMakerAsync("CreateTrainingJob", new
                {
                    TrainingJobName = jobName,
                    RoleArn = "arn:aws:iam::000000000000:role/kiln-cli",
                    AlgorithmSpecification = new { TrainingImage = algorithmName, TrainingInputMode = "File" },
                    HyperParameters = values,
                    InputDataConfig = upload.Channels(),
                    OutputDataConfig = new { S3OutputPath = "s3://kiln-cli/output" },
                    StoppingCondition = new { MaxRuntimeInSeconds = 86_400 },
                }, ct);
                AnsiConsole.MarkupLine($"Started training job [bold]{Markup.Escape(jobName)}[/] ({Markup.Escape(algorithmName)}, {train} training rows, {valid} validation rows).");
                if (result.GetValue(noWait))
                {
                    return 0;
                }

                var job = await WatchAsync(client, jobName, ct);
                JobsCommand.Render(job);
                return job["TrainingJobStatus"]?.GetValue<string>() == "Completed" ? 0 : 1;
            }
            catch (KilnApiException e)
            {
                return Output.Fail($"{e.Code}: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>Polls the job with a live status line until it ends.</summary>
    private static async Task<JsonObject> WatchAsync(KilnClient client, string name, CancellationToken ct)
    {
        JsonObject job = [];
        var clock = Stopwatch.StartNew();
        await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("Starting", async status =>
        {
            while (true)
            {
                job = await client.SageMakerAsync("DescribeTrainingJob", new { TrainingJobName = name }, ct);
                var state = job["TrainingJobStatus"]?.GetValue<string>();
                var step = job["SecondaryStatus"]?.GetValue<string>();
                var message = Output.Objects(job["SecondaryStatusTransitions"]).LastOrDefault()?["StatusMessage"]?.GetValue<string>() ?? "";
                status.Status($"{state} · {step} · {Markup.Escape(message)} · {clock.Elapsed.TotalSeconds:F0}s");
                if (state is "Completed" or "Failed" or "Stopped")
                {
                    return;
                }

                await Task.Delay(500, ct);
            }
        });
        return job;
    }

    /// <summary>Hyperparameters a first run needs: the objective from the target's values, a round count, the target column.</summary>
    internal static Dictionary<string, string> Defaults(string algorithm, IReadOnlyList<string> targetValues, string targetColumn)
    {
        var distinct = targetValues.Distinct(StringComparer.Ordinal).Count();
        var numeric = targetValues.All(value => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        var kind = distinct == 2 ? "binary" : !numeric || distinct <= 20 ? "multiclass" : "regression";
        var values = new Dictionary<string, string> { ["target_column"] = targetColumn };
        switch (algorithm)
        {
            case "xgboost":
                values["num_round"] = "100";
                values["objective"] = kind switch { "binary" => "binary:logistic", "multiclass" => "multi:softprob", _ => "reg:squarederror" };
                if (kind == "multiclass")
                {
                    values["num_class"] = distinct.ToString(CultureInfo.InvariantCulture);
                }

                break;
            case "linear-learner":
                values["predictor_type"] = kind switch { "binary" => "binary_classifier", "multiclass" => "multiclass_classifier", _ => "regressor" };
                if (kind == "multiclass")
                {
                    values["num_classes"] = distinct.ToString(CultureInfo.InvariantCulture);
                }

                break;
        }

        return values;
    }
}
