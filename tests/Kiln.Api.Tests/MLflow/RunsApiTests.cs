using System.Net;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

public sealed class RunsApiTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private readonly MlflowHttp _api = server.Mlflow;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private async Task<JsonElement> GetRunAsync(string runId) =>
        (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run");

    private static string? TagValue(JsonElement run, string key) =>
        run.GetProperty("data").TryGetProperty("tags", out var tags)
            ? tags.EnumerateArray().Where(t => t.GetProperty("key").GetString() == key).Select(t => t.GetProperty("value").GetString()).FirstOrDefault()
            : null;

    [Fact]
    public async Task Create_run_applies_mlflow_defaults()
    {
        var experimentId = await _api.CreateExperimentAsync();
        var created = await _api.OkAsync(_api.PostAsync("runs/create", new { experiment_id = experimentId, user_id = "ana", start_time = 1700000000000 }));
        var info = created.GetProperty("run").GetProperty("info");
        var runId = info.GetProperty("run_id").GetString()!;

        Assert.Matches("^[0-9a-f]{32}$", runId);
        Assert.Equal(runId, info.GetProperty("run_uuid").GetString());
        Assert.Equal("RUNNING", info.GetProperty("status").GetString());
        Assert.Equal("active", info.GetProperty("lifecycle_stage").GetString());
        Assert.Equal("ana", info.GetProperty("user_id").GetString());
        Assert.Equal(1700000000000, info.GetProperty("start_time").GetInt64());
        Assert.False(info.TryGetProperty("end_time", out _));
        Assert.Equal($"mlflow-artifacts:/{experimentId}/{runId}/artifacts", info.GetProperty("artifact_uri").GetString());
        var runName = info.GetProperty("run_name").GetString()!;
        Assert.Matches("^[a-z]+-[a-z]+-[0-9]{3}$", runName);
        Assert.Equal(runName, TagValue(created.GetProperty("run"), "mlflow.runName"));
    }

    [Fact]
    public async Task Run_name_and_run_name_tag_must_agree()
    {
        var experimentId = await _api.CreateExperimentAsync();
        var response = await _api.PostAsync("runs/create", new { experiment_id = experimentId, run_name = "a", tags = new[] { new { key = "mlflow.runName", value = "b" } } });
        response.AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "mlflow.runName");

        var fromTag = await _api.CreateRunAsync(experimentId, new { tags = new[] { new { key = "mlflow.runName", value = "from-tag" } } });
        Assert.Equal("from-tag", (await GetRunAsync(fromTag)).GetProperty("info").GetProperty("run_name").GetString());
    }

    [Fact]
    public async Task Run_in_unknown_experiment_is_resource_does_not_exist()
    {
        (await _api.PostAsync("runs/create", new { experiment_id = "99999" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.GetAsync("runs/get", ("run_id", "0123456789abcdef0123456789abcdef"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "not found");
        (await _api.GetAsync("runs/get")).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'run_id'");
    }

    [Fact]
    public async Task Update_sets_status_end_time_and_name()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var updated = await _api.OkAsync(_api.PostAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 1800000000000, run_name = "final" }));
        var info = updated.GetProperty("run_info");
        Assert.Equal("FINISHED", info.GetProperty("status").GetString());
        Assert.Equal(1800000000000, info.GetProperty("end_time").GetInt64());
        Assert.Equal("final", info.GetProperty("run_name").GetString());
        Assert.Equal("final", TagValue(await GetRunAsync(runId), "mlflow.runName"));

        (await _api.PostAsync("runs/update", new { run_id = runId, status = "DONE" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "status");
    }

    [Fact]
    public async Task Deleted_run_refuses_writes_until_restored()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/delete", new { run_id = runId }));
        Assert.Equal("deleted", (await GetRunAsync(runId)).GetProperty("info").GetProperty("lifecycle_stage").GetString());
        (await _api.PostAsync("runs/log-metric", new { run_id = runId, key = "m", value = 1.0, timestamp = Now }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "must be in the 'active' state");

        await _api.OkAsync(_api.PostAsync("runs/restore", new { run_id = runId }));
        await _api.OkAsync(_api.PostAsync("runs/log-metric", new { run_id = runId, key = "m", value = 1.0, timestamp = Now }));
    }

    [Fact]
    public async Task Params_are_immutable_once_logged()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" }));
        await _api.OkAsync(_api.PostAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" }));
        (await _api.PostAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "0.2" }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");
        var param = Assert.Single((await GetRunAsync(runId)).GetProperty("data").GetProperty("params").EnumerateArray());
        Assert.Equal("0.1", param.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Metrics_keep_full_history_and_special_values()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-metric", new { run_id = runId, key = "loss", value = 0.9, timestamp = 1000, step = 0 }));
        await _api.OkAsync(_api.PostAsync("runs/log-metric", new { run_id = runId, key = "loss", value = 0.5, timestamp = 2000, step = 1 }));
        await _api.OkAsync(_api.PostRawAsync("runs/log-metric", $$"""{"run_id": "{{runId}}", "key": "weird", "value": "NaN", "timestamp": 3000}"""));
        await _api.OkAsync(_api.PostRawAsync("runs/log-metric", $$"""{"run_id": "{{runId}}", "key": "big", "value": "Infinity", "timestamp": 3000, "step": "7"}"""));

        var history = await _api.OkAsync(_api.GetAsync("metrics/get-history", ("run_id", runId), ("metric_key", "loss")));
        var points = history.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal([0.9, 0.5], points.Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal([0L, 1L], points.Select(p => p.GetProperty("step").GetInt64()));

        var metrics = (await GetRunAsync(runId)).GetProperty("data").GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("key").GetString()!);
        Assert.Equal(0.5, metrics["loss"].GetProperty("value").GetDouble());
        Assert.Equal("NaN", metrics["weird"].GetProperty("value").GetString());
        Assert.Equal("Infinity", metrics["big"].GetProperty("value").GetString());
        Assert.Equal(7, metrics["big"].GetProperty("step").GetInt64());
    }

    [Fact]
    public async Task Latest_metric_is_the_highest_step_whatever_the_arrival_order()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-metric", new { run_id = runId, key = "acc", value = 0.8, timestamp = 5000, step = 5 }));
        await _api.OkAsync(_api.PostAsync("runs/log-metric", new { run_id = runId, key = "acc", value = 0.1, timestamp = 9000, step = 1 }));
        var metric = Assert.Single((await GetRunAsync(runId)).GetProperty("data").GetProperty("metrics").EnumerateArray());
        Assert.Equal(0.8, metric.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Metric_history_pages()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var metrics = Enumerable.Range(0, 25).Select(i => new { key = "x", value = (double)i, timestamp = 1000L + i, step = (long)i }).ToArray();
        await _api.OkAsync(_api.PostAsync("runs/log-batch", new { run_id = runId, metrics }));

        var seen = new List<long>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = new List<(string, string)> { ("run_id", runId), ("metric_key", "x"), ("max_results", "10") };
            if (token is not null)
            {
                query.Add(("page_token", token));
            }

            var page = await _api.OkAsync(_api.GetAsync("metrics/get-history", query.ToArray()));
            seen.AddRange(page.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64()));
            token = page.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task Tags_set_overwrite_and_delete()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/set-tag", new { run_id = runId, key = "stage", value = "dev" }));
        await _api.OkAsync(_api.PostAsync("runs/set-tag", new { run_id = runId, key = "stage", value = "prod" }));
        Assert.Equal("prod", TagValue(await GetRunAsync(runId), "stage"));
        await _api.OkAsync(_api.PostAsync("runs/delete-tag", new { run_id = runId, key = "stage" }));
        Assert.Null(TagValue(await GetRunAsync(runId), "stage"));
        (await _api.PostAsync("runs/delete-tag", new { run_id = runId, key = "stage" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Log_batch_writes_metrics_params_and_tags_together()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = new[] { new { key = "auc", value = 0.93, timestamp = Now, step = 0L } },
            @params = new[] { new { key = "depth", value = "6" }, new { key = "eta", value = "0.3" } },
            tags = new[] { new { key = "team", value = "risk" } },
        }));
        var data = (await GetRunAsync(runId)).GetProperty("data");
        Assert.Single(data.GetProperty("metrics").EnumerateArray());
        Assert.Equal(2, data.GetProperty("params").GetArrayLength());
        Assert.Equal("risk", TagValue(await GetRunAsync(runId), "team"));
    }

    [Fact]
    public async Task Log_batch_is_atomic_when_a_param_conflicts()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-parameter", new { run_id = runId, key = "depth", value = "6" }));
        var response = await _api.PostAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = new[] { new { key = "auc", value = 0.5, timestamp = Now, step = 0L } },
            @params = new[] { new { key = "depth", value = "7" } },
        });
        response.AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");
        Assert.False((await GetRunAsync(runId)).GetProperty("data").TryGetProperty("metrics", out _));
    }

    [Fact]
    public async Task Log_inputs_records_datasets_with_context()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    dataset = new { name = "churn", digest = "abc123", source_type = "local", source = "/data/churn.csv", schema = "{}" },
                    tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                },
            },
        }));
        var input = Assert.Single((await GetRunAsync(runId)).GetProperty("inputs").GetProperty("dataset_inputs").EnumerateArray());
        Assert.Equal("churn", input.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal("training", input.GetProperty("tags")[0].GetProperty("value").GetString());

        var found = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { (await GetRunAsync(runId)).GetProperty("info").GetProperty("experiment_id").GetString() }, filter = "datasets.name = 'churn' AND datasets.context = 'training'" }));
        Assert.Single(found.GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public async Task Log_model_appends_to_the_history_tag()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-model", new { run_id = runId, model_json = """{"artifact_path": "model", "flavors": {}}""" }));
        var history = TagValue(await GetRunAsync(runId), "mlflow.log-model.history");
        Assert.Contains("\"artifact_path\":\"model\"", history, StringComparison.Ordinal);
    }
}
