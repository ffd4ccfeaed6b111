using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Cli;

/// <summary>The kiln CLI as a user runs it, against a real server.</summary>
public sealed class CliTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private Task<(int ExitCode, string Output)> KilnAsync(params string[] arguments) =>
        Repository.RunAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), .. arguments, "--url", server.BaseAddress.ToString()], Repository.Root, TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Train_uploads_a_csv_runs_xgboost_and_shows_the_result()
    {
        var (code, output) = await KilnAsync("train", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "churn", "--name", "cli-churn", "--hp", "num_round=40");
        Assert.True(code == 0, output);
        Assert.Contains("Completed", output, StringComparison.Ordinal);
        Assert.Contains("validation:auc", output, StringComparison.Ordinal);

        var (listCode, list) = await KilnAsync("jobs", "list", "--json");
        Assert.Equal(0, listCode);
        var job = JsonDocument.Parse(list).RootElement.GetProperty("TrainingJobSummaries").EnumerateArray().Single(j => j.GetProperty("TrainingJobName").GetString() == "cli-churn");
        Assert.Equal("Completed", job.GetProperty("TrainingJobStatus").GetString());

        var (logCode, log) = await KilnAsync("jobs", "logs", "cli-churn");
        Assert.Equal(0, logCode);
        Assert.Contains("Loaded 4000 training rows", log, StringComparison.Ordinal);

        // The job is also a tracked run that the runs commands find with a filter.
        var (runsCode, runs) = await KilnAsync("runs", "list", "--experiment", "training-jobs", "--filter", "metrics.`validation:auc` > 0.8", "--json");
        Assert.True(runsCode == 0, runs);
        Assert.Contains("cli-churn", runs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_invoke_and_show_an_endpoint()
    {
        var (trainCode, trained) = await KilnAsync("train", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "churn", "--name", "cli-deploy", "--hp", "num_round=20");
        Assert.True(trainCode == 0, trained);

        var (code, output) = await KilnAsync("deploy", "cli-deploy", "--name", "cli-endpoint", "--instances", "2");
        Assert.True(code == 0, output);
        Assert.Contains("InService", output, StringComparison.Ordinal);

        var row = string.Join(',', File.ReadLines(Repository.Path("samples", "data", "churn.csv")).Skip(1).First().Split(',')[..^1]);
        var (invokeCode, answer) = await KilnAsync("invoke", "cli-endpoint", "--csv", row);
        Assert.True(invokeCode == 0, answer);
        var score = double.Parse(answer.Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(score, 0, 1);

        var (showCode, shown) = await KilnAsync("endpoints", "show", "cli-endpoint", "--json");
        Assert.True(showCode == 0, shown);
        var endpoint = JsonDocument.Parse(shown).RootElement;
        Assert.Equal("InService", endpoint.GetProperty("EndpointStatus").GetString());
        var variant = endpoint.GetProperty("Traffic").GetProperty("variants")[0];
        Assert.Equal(1, variant.GetProperty("invocations").GetInt64());
        Assert.Equal(2, variant.GetProperty("replicas").GetInt32());

        var (tableCode, table) = await KilnAsync("endpoints", "show", "cli-endpoint");
        Assert.Equal(0, tableCode);
        Assert.Contains("AllTraffic", table, StringComparison.Ordinal);

        // Deploying again updates the endpoint in place (blue/green), to a new config.
        var (againCode, again) = await KilnAsync("deploy", "cli-deploy", "--name", "cli-endpoint");
        Assert.True(againCode == 0, again);
        Assert.Contains("Updating endpoint", again, StringComparison.Ordinal);

        var (missingCode, missing) = await KilnAsync("deploy", "no-such-thing", "--name", "cli-missing");
        Assert.Equal(1, missingCode);
        Assert.Contains("neither a model", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tune_runs_a_search_and_shows_the_leaderboard()
    {
        var (code, output) = await KilnAsync("tune", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "churn", "--name", "cli-tune",
            "--trials", "4", "--parallel", "2", "--range", "eta=0.05:0.3:log", "--range", "max_depth=3:6", "--hp", "num_round=30");
        Assert.True(code == 0, output);
        Assert.Contains("Completed", output, StringComparison.Ordinal);
        Assert.Contains("validation:auc", output, StringComparison.Ordinal);
        Assert.Contains("cli-tune-004", output, StringComparison.Ordinal);

        var (badCode, bad) = await KilnAsync("tune", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "churn", "--range", "eta");
        Assert.Equal(1, badCode);
        Assert.Contains("--range takes name=value", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Automl_builds_a_model_with_a_leaderboard_and_predict_uses_the_best_candidate()
    {
        var (code, output) = await KilnAsync("automl", "--data", Repository.Path("samples", "data", "breast_cancer.csv"), "--target", "diagnosis", "--name", "cli-automl",
            "--candidates", "4", "--mode", "HYPERPARAMETER_TUNING");
        Assert.True(code == 0, output);
        Assert.Contains("Completed", output, StringComparison.Ordinal);
        Assert.Contains("Best candidate cli-automl-tune-", output, StringComparison.Ordinal);
        Assert.Contains("/api/kiln/automl-jobs/cli-automl/reports/data-exploration", output, StringComparison.Ordinal);

        var rows = Path.Combine(Path.GetTempPath(), $"kiln-predict-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(rows, (await File.ReadAllLinesAsync(Repository.Path("samples", "data", "breast_cancer.csv"))).Take(4));
        // The first predict deploys the best candidate; with --json, stdout is the JSON alone and progress goes to stderr.
        var (jsonCode, json, progress) = await Repository.RunWithStreamsAsync("dotnet",
            ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "predict", "cli-automl", "--data", rows, "--json", "--url", server.BaseAddress.ToString()],
            Repository.Root, TimeSpan.FromMinutes(3));
        Assert.True(jsonCode == 0, json + progress);
        Assert.Equal(3, JsonDocument.Parse(json).RootElement.GetProperty("predictions").GetArrayLength());
        Assert.Contains("Deploying the best candidate", progress, StringComparison.Ordinal);

        var (predictCode, predicted) = await KilnAsync("predict", "cli-automl", "--data", rows);
        Assert.True(predictCode == 0, predicted);
        Assert.Contains("3 predictions by cli-automl-tune-", predicted, StringComparison.Ordinal);
        Assert.Matches(@"│ 1\s+│ [BM] ", predicted);

        var (badCode, bad) = await KilnAsync("automl", "--data", Repository.Path("samples", "data", "breast_cancer.csv"), "--target", "nope");
        Assert.Equal(1, badCode);
        Assert.Contains("'nope' is not in", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reproduce_reruns_a_training_job_from_its_lineage_and_gets_the_same_metrics()
    {
        var (trainCode, trained) = await KilnAsync("train", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "churn", "--name", "cli-repro", "--hp", "num_round=15");
        Assert.True(trainCode == 0, trained);

        var (code, output) = await KilnAsync("reproduce", "cli-repro", "--name", "cli-repro-again");
        Assert.True(code == 0, output);
        Assert.Contains("Reproduced: the same data and code gave the same metrics.", output, StringComparison.Ordinal);
        Assert.Contains("validation:auc", output, StringComparison.Ordinal);
        var (_, jobs) = await KilnAsync("jobs", "list", "--json");
        Assert.Contains("cli-repro-again", jobs, StringComparison.Ordinal);

        var (missingCode, missing) = await KilnAsync("reproduce", "no-such-job");
        Assert.NotEqual(0, missingCode);
        Assert.Contains("ResourceNotFound", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelines_run_draws_the_steps_and_show_and_list_find_the_execution()
    {
        var definition = Path.Combine(Path.GetTempPath(), $"kiln-cli-pipeline-{Guid.NewGuid():N}.json");
        var write = "import os, sys, json; os.makedirs(sys.argv[1], exist_ok=True); json.dump({'score': 0.9}, open(os.path.join(sys.argv[1], 'score.json'), 'w'))";
        File.WriteAllText(definition, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Version"] = "2020-12-01",
            ["Parameters"] = new[] { new { Name = "Bar", Type = "Float", DefaultValue = 0.5 } },
            ["Steps"] = new object[]
            {
                new
                {
                    Name = "Score",
                    Type = "Processing",
                    PropertyFiles = new[] { new { PropertyFileName = "Scores", OutputName = "out", FilePath = "score.json" } },
                    Arguments = new
                    {
                        ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.large", VolumeSizeInGB = 1 } },
                        AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "python3", "-c", write }, ContainerArguments = new[] { "/opt/ml/processing/out" } },
                        RoleArn = "arn:aws:iam::000000000000:role/kiln",
                        ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "out", S3Output = new { S3Uri = "s3://kiln-cli/pipeline/out", LocalPath = "/opt/ml/processing/out", S3UploadMode = "EndOfJob" } } } },
                    },
                },
                new
                {
                    Name = "Good",
                    Type = "Condition",
                    Arguments = new
                    {
                        Conditions = new[]
                        {
                            new Dictionary<string, object>
                            {
                                ["Type"] = "GreaterThan",
                                ["LeftValue"] = new Dictionary<string, object> { ["Std:JsonGet"] = new { PropertyFile = new { Get = "Steps.Score.PropertyFiles.Scores" }, Path = "score" } },
                                ["RightValue"] = new { Get = "Parameters.Bar" },
                            },
                        },
                        IfSteps = Array.Empty<object>(),
                        ElseSteps = new[] { new { Name = "TooLow", Type = "Fail", Arguments = new { ErrorMessage = "score too low" } } },
                    },
                },
            },
        }));
        try
        {
            var (code, output) = await KilnAsync("pipelines", "run", "cli-pipeline", "--definition", definition);
            Assert.True(code == 0, output);
            Assert.Contains("Created pipeline cli-pipeline", output, StringComparison.Ordinal);
            Assert.Contains("Succeeded", output, StringComparison.Ordinal);
            Assert.Contains("Score", output, StringComparison.Ordinal);

            var (failCode, failed) = await KilnAsync("pipelines", "run", "cli-pipeline", "--param", "Bar=0.95");
            Assert.NotEqual(0, failCode);
            Assert.Contains("score too low", failed, StringComparison.Ordinal);

            var (showCode, shown) = await KilnAsync("pipelines", "show", "cli-pipeline", "--json");
            Assert.True(showCode == 0, shown);
            var steps = JsonDocument.Parse(shown).RootElement.GetProperty("Steps").EnumerateArray()
                .ToDictionary(step => step.GetProperty("StepName").GetString()!, step => step.GetProperty("StepStatus").GetString());
            Assert.Equal("Failed", steps["TooLow"]);
            Assert.Equal("Succeeded", steps["Good"]);

            var (listCode, listed) = await KilnAsync("pipelines", "list");
            Assert.True(listCode == 0, listed);
            Assert.Contains("cli-pipeline", listed, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(definition);
        }
    }

    [Theory]
    [InlineData("churn")]
    [InlineData("an-endpoint-named-with-all-of-the-sixty-three-characters-it-may")]
    [InlineData("an-endpoint-named-with-forty-five-characters-x-and-more")]
    public void A_deploy_names_its_endpoint_config_within_SageMakers_rules(string endpoint)
    {
        var config = Kiln.Cli.Commands.EndpointsCommand.NewConfigName(endpoint, TimeProvider.System);
        Assert.Matches("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", config);
        Assert.StartsWith(endpoint[..Math.Min(endpoint.Length, 20)], config, StringComparison.Ordinal);
        Assert.Matches("-[0-9]{17}$", config);
    }

    [Fact]
    public async Task Train_reports_a_missing_target_column_and_fails()
    {
        var (code, output) = await KilnAsync("train", "--data", Repository.Path("samples", "data", "churn.csv"), "--target", "nope");
        Assert.NotEqual(0, code);
        Assert.Contains("'nope' is not in", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lists_experiments_and_models_as_tables_and_json()
    {
        await server.Mlflow.CreateExperimentAsync("cli-listing");
        await server.Mlflow.OkAsync(server.Mlflow.PostAsync("registered-models/create", new { name = "cli-model" }));
        var (code, table) = await KilnAsync("experiments", "list");
        Assert.Equal(0, code);
        Assert.Contains("cli-listing", table, StringComparison.Ordinal);
        var (jsonCode, json) = await KilnAsync("models", "list", "--json");
        Assert.Equal(0, jsonCode);
        Assert.Contains("cli-model", JsonDocument.Parse(json).RootElement.GetProperty("registered_models")[0].GetProperty("name").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_filter_is_reported_not_thrown()
    {
        var (code, output) = await KilnAsync("runs", "list", "--filter", "metrics.auc >>> 1");
        Assert.Equal(1, code);
        Assert.Contains("error:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
