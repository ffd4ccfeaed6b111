using System.Net;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

public sealed class ExperimentsApiTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private readonly MlflowHttp _api = server.Mlflow;

    [Fact]
    public async Task Default_experiment_exists_with_id_zero()
    {
        var experiment = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", "0")))).GetProperty("experiment");
        Assert.Equal("Default", experiment.GetProperty("name").GetString());
        Assert.Equal("active", experiment.GetProperty("lifecycle_stage").GetString());
        Assert.Equal("mlflow-artifacts:/0", experiment.GetProperty("artifact_location").GetString());
    }

    [Fact]
    public async Task Create_then_get_and_get_by_name_return_the_same_experiment()
    {
        var name = "create-get-" + Guid.NewGuid().ToString("N")[..6];
        var created = await _api.OkAsync(_api.PostAsync("experiments/create", new { name, tags = new[] { new { key = "team", value = "fraud" } } }));
        var id = created.GetProperty("experiment_id").GetString()!;

        var byId = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment");
        var byName = (await _api.OkAsync(_api.GetAsync("experiments/get-by-name", ("experiment_name", name)))).GetProperty("experiment");

        Assert.Equal(name, byId.GetProperty("name").GetString());
        Assert.Equal(byId.GetRawText(), byName.GetRawText());
        Assert.Equal($"mlflow-artifacts:/{id}", byId.GetProperty("artifact_location").GetString());
        Assert.Equal(JsonValueKind.Number, byId.GetProperty("creation_time").ValueKind);
        var tag = Assert.Single(byId.GetProperty("tags").EnumerateArray());
        Assert.Equal("fraud", tag.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Create_keeps_an_explicit_artifact_location()
    {
        var created = await _api.OkAsync(_api.PostAsync("experiments/create", new { name = "loc-" + Guid.NewGuid().ToString("N")[..6], artifact_location = "s3://bucket/path" }));
        var experiment = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", created.GetProperty("experiment_id").GetString()!)))).GetProperty("experiment");
        Assert.Equal("s3://bucket/path", experiment.GetProperty("artifact_location").GetString());
    }

    [Fact]
    public async Task Duplicate_name_is_resource_already_exists()
    {
        var name = "dup-" + Guid.NewGuid().ToString("N")[..6];
        await _api.CreateExperimentAsync(name);
        var response = await _api.PostAsync("experiments/create", new { name });
        response.AssertError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS", name);
    }

    [Fact]
    public async Task Missing_or_empty_name_is_invalid_parameter_value()
    {
        (await _api.PostAsync("experiments/create", new { })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'name'");
        (await _api.PostAsync("experiments/create", new { name = "" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Wrong_type_for_name_is_invalid_parameter_value_with_python_type_hint()
    {
        var response = await _api.PostRawAsync("experiments/create", """{"name": 123}""");
        response.AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Hint: Value was of type 'int'");
    }

    [Fact]
    public async Task Unknown_id_and_unknown_name_are_resource_does_not_exist()
    {
        (await _api.GetAsync("experiments/get", ("experiment_id", "987654"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "987654");
        (await _api.GetAsync("experiments/get", ("experiment_id", "not-a-number"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.GetAsync("experiments/get-by-name", ("experiment_name", "no-such-experiment"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Rename_delete_and_restore_follow_the_lifecycle()
    {
        var id = await _api.CreateExperimentAsync();
        var runId = await _api.CreateRunAsync(id);
        var newName = "renamed-" + Guid.NewGuid().ToString("N")[..6];
        await _api.OkAsync(_api.PostAsync("experiments/update", new { experiment_id = id, new_name = newName }));
        Assert.Equal(newName, (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment").GetProperty("name").GetString());

        await _api.OkAsync(_api.PostAsync("experiments/delete", new { experiment_id = id }));
        var deleted = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment");
        Assert.Equal("deleted", deleted.GetProperty("lifecycle_stage").GetString());
        var run = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info");
        Assert.Equal("deleted", run.GetProperty("lifecycle_stage").GetString());
        (await _api.PostAsync("runs/create", new { experiment_id = id })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "active");

        await _api.OkAsync(_api.PostAsync("experiments/restore", new { experiment_id = id }));
        Assert.Equal("active", (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment").GetProperty("lifecycle_stage").GetString());
        Assert.Equal("active", (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info").GetProperty("lifecycle_stage").GetString());
    }

    [Fact]
    public async Task Default_experiment_cannot_be_deleted()
    {
        (await _api.PostAsync("experiments/delete", new { experiment_id = "0" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Set_experiment_tag_overwrites_by_key()
    {
        var id = await _api.CreateExperimentAsync();
        await _api.OkAsync(_api.PostAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "owner", value = "ana" }));
        await _api.OkAsync(_api.PostAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "owner", value = "bo" }));
        var tags = (await _api.OkAsync(_api.GetAsync("experiments/get", ("experiment_id", id)))).GetProperty("experiment").GetProperty("tags");
        var tag = Assert.Single(tags.EnumerateArray());
        Assert.Equal("bo", tag.GetProperty("value").GetString());
        (await _api.PostAsync("experiments/set-experiment-tag", new { experiment_id = "424242", key = "k", value = "v" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Search_filters_orders_and_pages()
    {
        var prefix = "search-" + Guid.NewGuid().ToString("N")[..6];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _api.CreateExperimentAsync($"{prefix}-{i}"));
        }

        await _api.OkAsync(_api.PostAsync("experiments/set-experiment-tag", new { experiment_id = ids[2], key = "flag", value = "yes" }));

        var filtered = await _api.OkAsync(_api.PostAsync("experiments/search", new { filter = $"name LIKE '{prefix}%'", order_by = new[] { "name DESC" }, max_results = 2 }));
        var firstPage = filtered.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal([$"{prefix}-4", $"{prefix}-3"], firstPage);
        var token = filtered.GetProperty("next_page_token").GetString()!;

        var second = await _api.OkAsync(_api.PostAsync("experiments/search", new { filter = $"name LIKE '{prefix}%'", order_by = new[] { "name DESC" }, max_results = 2, page_token = token }));
        Assert.Equal([$"{prefix}-2", $"{prefix}-1"], second.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList());

        var third = await _api.OkAsync(_api.PostAsync("experiments/search", new { filter = $"name LIKE '{prefix}%'", order_by = new[] { "name DESC" }, max_results = 2, page_token = second.GetProperty("next_page_token").GetString() }));
        Assert.Equal([$"{prefix}-0"], third.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList());
        Assert.False(third.TryGetProperty("next_page_token", out _));

        var byTag = await _api.OkAsync(_api.GetAsync("experiments/search", ("filter", "tags.flag = 'yes'"), ("max_results", "10")));
        Assert.Equal(ids[2], Assert.Single(byTag.GetProperty("experiments").EnumerateArray()).GetProperty("experiment_id").GetString());
    }

    [Fact]
    public async Task Search_view_type_separates_active_and_deleted()
    {
        var id = await _api.CreateExperimentAsync();
        await _api.OkAsync(_api.PostAsync("experiments/delete", new { experiment_id = id }));
        var active = await _api.OkAsync(_api.PostAsync("experiments/search", new { max_results = 1000 }));
        var deleted = await _api.OkAsync(_api.PostAsync("experiments/search", new { max_results = 1000, view_type = "DELETED_ONLY" }));
        Assert.DoesNotContain(active.GetProperty("experiments").EnumerateArray(), e => e.GetProperty("experiment_id").GetString() == id);
        Assert.Contains(deleted.GetProperty("experiments").EnumerateArray(), e => e.GetProperty("experiment_id").GetString() == id);
    }

    [Theory]
    [InlineData("name = ")]
    [InlineData("name LIKE 'a' OR name LIKE 'b'")]
    [InlineData("bogus.key = 'x'")]
    [InlineData("name = 'a' AND")]
    public async Task Search_with_a_filter_that_does_not_parse_is_invalid_parameter_value(string filter)
    {
        (await _api.PostAsync("experiments/search", new { filter })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
