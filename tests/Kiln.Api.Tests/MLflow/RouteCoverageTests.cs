using System.Net;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>The endpoints the other classes do not reach, the other API prefixes, and model version updates.</summary>
public sealed class RouteCoverageTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private readonly MlflowHttp _api = server.Mlflow;

    [Fact]
    public async Task Experiment_tags_can_be_deleted()
    {
        var id = await _api.CreateExperimentAsync();
        await _api.OkAsync(_api.PostAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "k", value = "v" }));
        await _api.OkAsync(_api.PostAsync("experiments/delete-experiment-tag", new { experiment_id = id, key = "k" }));
        var experiment = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment");
        Assert.False(experiment.TryGetProperty("tags", out _));
        (await _api.PostAsync("experiments/delete-experiment-tag", new { experiment_id = id, key = "k" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Model_versions_can_be_updated()
    {
        var name = "upd-" + Guid.NewGuid().ToString("N")[..6];
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("model-versions/create", new { name, source = $"runs:/{runId}/model", run_id = runId }));
        var updated = (await _api.OkAsync(_api.PatchAsync("model-versions/update", new { name, version = "1", description = "validated on holdout" }))).GetProperty("model_version");
        Assert.Equal("validated on holdout", updated.GetProperty("description").GetString());
        (await _api.PatchAsync("model-versions/update", new { name, version = "7", description = "x" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Theory]
    [InlineData("/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")]
    [InlineData("/api/2.0/preview/mlflow/experiments/get?experiment_id=0")]
    [InlineData("/api/2.0/mlflow/experiments/get?experiment_id=0")]
    public async Task Every_prefix_mlflow_clients_use_is_served(string url)
    {
        using var response = await _api.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"Default\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_requests_can_carry_a_json_body_and_lists_repeat_in_query_strings()
    {
        var id = await _api.CreateExperimentAsync();
        var runId = await _api.CreateRunAsync(id);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/2.0/mlflow/runs/get")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { run_id = runId }),
        };
        using var response = await _api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var search = await _api.OkAsync(_api.GetAsync("runs/search", ("experiment_ids", id), ("experiment_ids", "0"), ("order_by[]", "attributes.start_time DESC")));
        Assert.Contains(search.GetProperty("runs").EnumerateArray(), run => run.GetProperty("info").GetProperty("run_id").GetString() == runId);
    }
}
