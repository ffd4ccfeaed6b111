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
        var (predictCode, predicted) = await KilnAsync("predict", "cli-automl", "--data", rows);
        Assert.True(predictCode == 0, predicted);
        Assert.Contains("3 predictions by cli-automl-tune-", predicted, StringComparison.Ordinal);
        Assert.Matches(@"│ 1\s+│ [BM] ", predicted);

        var (badCode, bad) = await KilnAsync("automl", "--data", Repository.Path("samples", "data", "breast_cancer.csv"), "--target", "nope");
        Assert.Equal(1, badCode);
        Assert.Contains("'nope' is not in", bad, StringComparison.Ordinal);
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
