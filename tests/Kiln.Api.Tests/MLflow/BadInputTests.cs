using System.Net;
using System.Text;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>
/// Every kind of bad input gets MLflow's error code and status, the server stays up, and the data
/// already stored is unchanged.
/// </summary>
public sealed class BadInputTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>, IAsyncLifetime
{
    private readonly MlflowHttp _api = server.Mlflow;
    private string _runId = "";
    private string _snapshot = "";

    public async Task InitializeAsync()
    {
        _runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        await _api.OkAsync(_api.PostAsync("runs/log-batch", new
        {
            run_id = _runId,
            metrics = new[] { new { key = "auc", value = 0.9, timestamp = 1L, step = 0L } },
            @params = new[] { new { key = "depth", value = "6" } },
            tags = new[] { new { key = "team", value = "risk" } },
        }));
        _snapshot = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", _runId)))).GetRawText();
    }

    /// <summary>After each test: the server answers and the stored run is byte-for-byte what it was.</summary>
    public async Task DisposeAsync()
    {
        using var health = await _api.Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(_snapshot, (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", _runId)))).GetRawText());
    }

    [Theory]
    [InlineData("runs/log-batch", "{\"run_id\": ")]
    [InlineData("runs/log-metric", "not json at all")]
    [InlineData("experiments/create", "{\"name\": \"x\",}")]
    [InlineData("runs/search", "[1, 2, 3]")]
    public async Task Malformed_json_is_invalid_parameter_value(string path, string body)
    {
        (await _api.PostRawAsync(path, body)).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Wrong_types_are_invalid_parameter_value()
    {
        (await _api.PostRawAsync("runs/log-metric", $$"""{"run_id": "{{_runId}}", "key": "auc", "value": "high", "timestamp": 1}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'value'");
        (await _api.PostRawAsync("runs/log-metric", $$"""{"run_id": "{{_runId}}", "key": "auc", "value": 1, "timestamp": "yesterday"}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'timestamp'");
        (await _api.PostRawAsync("runs/log-metric", $$"""{"run_id": "{{_runId}}", "key": "auc", "value": 1, "timestamp": 1.5}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'timestamp'");
        (await _api.PostRawAsync("runs/log-batch", $$$"""{"run_id": "{{{_runId}}}", "metrics": {"key": "auc"}}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Hint: Value was of type 'dict'");
        (await _api.PostRawAsync("runs/set-tag", """{"run_id": 42, "key": "k", "value": "v"}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Hint: Value was of type 'int'");
        (await _api.PostRawAsync("experiments/create", """{"name": "ok", "tags": "a=b"}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'tags'");
        (await _api.PostRawAsync("runs/search", """{"experiment_ids": [0]}"""))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'experiment_ids'");
    }

    [Fact]
    public async Task Missing_required_fields_are_invalid_parameter_value()
    {
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, value = 1.0, timestamp = 1 })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'key'");
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, key = "k", timestamp = 1 })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'value'");
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, key = "k", value = 1.0 })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'timestamp'");
        (await _api.PostAsync("runs/log-batch", new { metrics = Array.Empty<object>() })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'run_id'");
        (await _api.PostAsync("runs/log-parameter", new { run_id = _runId })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'key'");
        (await _api.PostRawAsync("experiments/create", "")).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'name'");
    }

    [Fact]
    public async Task Over_limit_batches_are_refused_whole()
    {
        var tooManyMetrics = Enumerable.Range(0, 1001).Select(i => new { key = "m", value = (double)i, timestamp = 2L, step = (long)i }).ToArray();
        (await _api.PostAsync("runs/log-batch", new { run_id = _runId, metrics = tooManyMetrics }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "at most 1000 metrics");
        var tooManyParams = Enumerable.Range(0, 101).Select(i => new { key = $"p{i}", value = "v" }).ToArray();
        (await _api.PostAsync("runs/log-batch", new { run_id = _runId, @params = tooManyParams }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "at most 100 params");
        var tooManyTags = Enumerable.Range(0, 101).Select(i => new { key = $"t{i}", value = "v" }).ToArray();
        (await _api.PostAsync("runs/log-batch", new { run_id = _runId, tags = tooManyTags }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "at most 100 tags");
        var mixed = new
        {
            run_id = _runId,
            metrics = Enumerable.Range(0, 950).Select(i => new { key = "m", value = 1.0, timestamp = 2L, step = (long)i }).ToArray(),
            @params = Enumerable.Range(0, 60).Select(i => new { key = $"p{i}", value = "v" }).ToArray(),
        };
        (await _api.PostAsync("runs/log-batch", mixed)).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "in total");
    }

    [Fact]
    public async Task Over_long_values_and_bad_key_names_are_refused()
    {
        (await _api.PostAsync("runs/log-parameter", new { run_id = _runId, key = "long", value = new string('x', 6001) }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "length limit of 6000");
        (await _api.PostAsync("runs/set-tag", new { run_id = _runId, key = "long", value = new string('x', 8001) }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "length limit of 8000");
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, key = new string('k', 251), value = 1.0, timestamp = 1 }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "length limit of 250");
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, key = "a*b", value = 1.0, timestamp = 1 }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Names may only contain");
        (await _api.PostAsync("runs/log-parameter", new { run_id = _runId, key = "../escape", value = "v" }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "would resolve to");
        (await _api.PostAsync("runs/log-metric", new { run_id = _runId, key = "m", value = 1.0, timestamp = -5 }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Timestamp must be a nonnegative");
    }

    [Fact]
    public async Task Unknown_ids_are_resource_does_not_exist()
    {
        (await _api.PostAsync("runs/log-metric", new { run_id = "deadbeefdeadbeefdeadbeefdeadbeef", key = "m", value = 1.0, timestamp = 1 }))
            .AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync("runs/update", new { run_id = "nope", status = "FINISHED" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.GetAsync("metrics/get-history", ("run_id", "nope"), ("metric_key", "m"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync("experiments/update", new { experiment_id = "123456", new_name = "x" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_huge_payload_is_refused_without_reading_it_all()
    {
        var body = new StringBuilder("{\"run_id\": \"").Append(_runId).Append("\", \"tags\": [");
        var tag = "{\"key\": \"k\", \"value\": \"" + new string('x', 1000) + "\"},";
        while (body.Length < 17 * 1024 * 1024)
        {
            body.Append(tag);
        }

        body.Length--;
        body.Append("]}");
        var response = await _api.PostRawAsync("runs/log-batch", body.ToString());
        response.AssertError(HttpStatusCode.RequestEntityTooLarge, "RESOURCE_LIMIT_EXCEEDED");
    }

    [Fact]
    public async Task Unknown_endpoints_and_wrong_methods_answer_in_json()
    {
        (await _api.GetAsync("runs/teleport")).AssertError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        (await _api.GetAsync("runs/log-metric")).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _api.PatchAsync("runs/create", new { })).AssertError(HttpStatusCode.MethodNotAllowed, "BAD_REQUEST");
    }
}
