using System.Net;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

public sealed class RegistryApiTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private readonly MlflowHttp _api = server.Mlflow;

    private static string NewName() => "model-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(string RunId, string ArtifactUri)> RunAsync()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var info = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info");
        return (runId, info.GetProperty("artifact_uri").GetString()!);
    }

    private async Task<JsonElement> CreateVersionAsync(string name, string runId) =>
        (await _api.OkAsync(_api.PostAsync("model-versions/create", new { name, source = $"runs:/{runId}/model", run_id = runId }))).GetProperty("model_version");

    [Fact]
    public async Task Registered_model_lifecycle_create_get_update_rename_delete()
    {
        var name = NewName();
        var created = (await _api.OkAsync(_api.PostAsync("registered-models/create", new { name, description = "first", tags = new[] { new { key = "team", value = "risk" } } }))).GetProperty("registered_model");
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("first", created.GetProperty("description").GetString());

        var updated = (await _api.OkAsync(_api.PatchAsync("registered-models/update", new { name, description = "second" }))).GetProperty("registered_model");
        Assert.Equal("second", updated.GetProperty("description").GetString());

        var newName = NewName();
        var renamed = (await _api.OkAsync(_api.PostAsync("registered-models/rename", new { name, new_name = newName }))).GetProperty("registered_model");
        Assert.Equal(newName, renamed.GetProperty("name").GetString());
        (await _api.GetAsync("registered-models/get", ("name", name))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var got = (await _api.OkAsync(_api.GetAsync("registered-models/get", ("name", newName)))).GetProperty("registered_model");
        Assert.Equal("risk", got.GetProperty("tags")[0].GetProperty("value").GetString());

        await _api.OkAsync(_api.DeleteAsync("registered-models/delete", new { name = newName }));
        (await _api.GetAsync("registered-models/get", ("name", newName))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Duplicate_and_empty_model_names_are_refused()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        (await _api.PostAsync("registered-models/create", new { name })).AssertError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await _api.PostAsync("registered-models/create", new { name = "" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Versions_number_from_one_and_resolve_their_run_source()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        var (runId, artifactUri) = await RunAsync();
        var v1 = await CreateVersionAsync(name, runId);
        var v2 = await CreateVersionAsync(name, runId);
        Assert.Equal("1", v1.GetProperty("version").GetString());
        Assert.Equal("2", v2.GetProperty("version").GetString());
        Assert.Equal("READY", v1.GetProperty("status").GetString());
        Assert.Equal("None", v1.GetProperty("current_stage").GetString());
        Assert.Equal(runId, v1.GetProperty("run_id").GetString());

        var uri = await _api.OkAsync(_api.GetAsync("model-versions/get-download-uri", ("name", name), ("version", "1")));
        Assert.Equal($"{artifactUri}/model", uri.GetProperty("artifact_uri").GetString());

        await _api.OkAsync(_api.DeleteAsync("model-versions/delete", new { name, version = "2" }));
        (await _api.GetAsync("model-versions/get", ("name", name), ("version", "2"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var v3 = await CreateVersionAsync(name, runId);
        Assert.Equal("3", v3.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Version_source_must_exist_and_stay_inside_the_run()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        (await _api.PostAsync("model-versions/create", new { name, source = "runs:/0123456789abcdef0123456789abcdef/model" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync("model-versions/create", new { name, source = "/etc/passwd" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid model version source");
        var (runId, _) = await RunAsync();
        (await _api.PostAsync("model-versions/create", new { name, source = $"runs:/{runId}/../../other" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _api.PostAsync("model-versions/create", new { name = NewName(), source = $"runs:/{runId}/model" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Stage_transitions_archive_existing_and_show_in_latest_versions()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        var (runId, _) = await RunAsync();
        await CreateVersionAsync(name, runId);
        await CreateVersionAsync(name, runId);

        var moved = (await _api.OkAsync(_api.PostAsync("model-versions/transition-stage", new { name, version = "1", stage = "production", archive_existing_versions = false }))).GetProperty("model_version");
        Assert.Equal("Production", moved.GetProperty("current_stage").GetString());
        await _api.OkAsync(_api.PostAsync("model-versions/transition-stage", new { name, version = "2", stage = "Production", archive_existing_versions = true }));
        var v1 = (await _api.OkAsync(_api.GetAsync("model-versions/get", ("name", name), ("version", "1")))).GetProperty("model_version");
        Assert.Equal("Archived", v1.GetProperty("current_stage").GetString());

        var latest = await _api.OkAsync(_api.PostAsync("registered-models/get-latest-versions", new { name, stages = new[] { "Production" } }));
        Assert.Equal("2", Assert.Single(latest.GetProperty("model_versions").EnumerateArray()).GetProperty("version").GetString());

        (await _api.PostAsync("model-versions/transition-stage", new { name, version = "1", stage = "Shipped", archive_existing_versions = false }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage");
        (await _api.PostAsync("model-versions/transition-stage", new { name, version = "1", stage = "Archived", archive_existing_versions = true }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Aliases_point_at_versions_and_follow_deletes()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        var (runId, _) = await RunAsync();
        await CreateVersionAsync(name, runId);
        await CreateVersionAsync(name, runId);

        await _api.OkAsync(_api.PostAsync("registered-models/alias", new { name, alias = "champion", version = "1" }));
        await _api.OkAsync(_api.PostAsync("registered-models/alias", new { name, alias = "champion", version = "2" }));
        var byAlias = (await _api.OkAsync(_api.GetAsync("registered-models/alias", ("name", name), ("alias", "champion")))).GetProperty("model_version");
        Assert.Equal("2", byAlias.GetProperty("version").GetString());
        Assert.Equal(["champion"], byAlias.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        var model = (await _api.OkAsync(_api.GetAsync("registered-models/get", ("name", name)))).GetProperty("registered_model");
        Assert.Equal("2", Assert.Single(model.GetProperty("aliases").EnumerateArray()).GetProperty("version").GetString());

        (await _api.PostAsync("registered-models/alias", new { name, alias = "v3", version = "1" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "reserved");
        (await _api.PostAsync("registered-models/alias", new { name, alias = "latest", version = "1" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "reserved");
        (await _api.PostAsync("registered-models/alias", new { name, alias = "x", version = "9" })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        await _api.OkAsync(_api.DeleteAsync("registered-models/alias", new { name, alias = "champion" }));
        (await _api.GetAsync("registered-models/alias", ("name", name), ("alias", "champion"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Tags_on_models_and_versions()
    {
        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        var (runId, _) = await RunAsync();
        await CreateVersionAsync(name, runId);
        await _api.OkAsync(_api.PostAsync("registered-models/set-tag", new { name, key = "domain", value = "health" }));
        await _api.OkAsync(_api.PostAsync("model-versions/set-tag", new { name, version = "1", key = "validated", value = "yes" }));
        var version = (await _api.OkAsync(_api.GetAsync("model-versions/get", ("name", name), ("version", "1")))).GetProperty("model_version");
        Assert.Equal("yes", version.GetProperty("tags")[0].GetProperty("value").GetString());

        await _api.OkAsync(_api.DeleteAsync("model-versions/delete-tag", new { name, version = "1", key = "validated" }));
        await _api.OkAsync(_api.DeleteAsync("registered-models/delete-tag", new { name, key = "domain" }));
        var model = (await _api.OkAsync(_api.GetAsync("registered-models/get", ("name", name)))).GetProperty("registered_model");
        Assert.False(model.TryGetProperty("tags", out _));
    }

    [Fact]
    public async Task Search_models_and_versions_with_filters()
    {
        var prefix = "srch" + Guid.NewGuid().ToString("N")[..6];
        var (runId, _) = await RunAsync();
        foreach (var suffix in new[] { "a", "b", "c" })
        {
            await _api.OkAsync(_api.PostAsync("registered-models/create", new { name = $"{prefix}-{suffix}" }));
            await CreateVersionAsync($"{prefix}-{suffix}", runId);
        }

        var models = await _api.OkAsync(_api.GetAsync("registered-models/search", ("filter", $"name LIKE '{prefix}-%'"), ("max_results", "2"), ("order_by", "name DESC")));
        Assert.Equal([$"{prefix}-c", $"{prefix}-b"], models.GetProperty("registered_models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.True(models.TryGetProperty("next_page_token", out _));

        var versions = await _api.OkAsync(_api.GetAsync("model-versions/search", ("filter", $"name = '{prefix}-b'")));
        Assert.Equal("1", Assert.Single(versions.GetProperty("model_versions").EnumerateArray()).GetProperty("version").GetString());
        var byRun = await _api.OkAsync(_api.GetAsync("model-versions/search", ("filter", $"run_id = '{runId}'")));
        Assert.Equal(3, byRun.GetProperty("model_versions").GetArrayLength());

        (await _api.GetAsync("registered-models/search", ("filter", "name = "))).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _api.GetAsync("registered-models/search", ("max_results", "5000"))).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Unknown_models_and_versions_are_resource_does_not_exist()
    {
        (await _api.GetAsync("registered-models/get", ("name", "nope-" + Guid.NewGuid()))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.GetAsync("model-versions/get", ("name", "nope"), ("version", "1"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.GetAsync("model-versions/get", ("name", "nope"), ("version", "one"))).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
