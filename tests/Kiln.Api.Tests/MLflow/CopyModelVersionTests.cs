using System.Net;
using System.Text;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>
/// MlflowClient.copy_model_version("models:/src/1", dst) as the Python client sends it: get the source
/// version, create the destination model, create a version whose source is the models:/ URI. The copy
/// must keep pointing at the files after the source model is renamed and deleted.
/// </summary>
public sealed class CopyModelVersionTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private const string Proxy = "api/2.0/mlflow-artifacts/artifacts";
    private readonly MlflowHttp _api = server.Mlflow;

    private static string NewName() => "model-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A run with a logged model (two files through the artifact proxy) registered as version 1 of a new model.</summary>
    private async Task<(string Name, string RunId, string ArtifactUri, byte[] Weights)> RegisteredModelAsync()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var artifactUri = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info").GetProperty("artifact_uri").GetString()!;
        var root = artifactUri["mlflow-artifacts:/".Length..];
        var weights = Encoding.UTF8.GetBytes("weights " + Guid.NewGuid() + new string('w', 70_000));
        foreach (var (file, bytes) in new[] { ("model/model.pkl", weights), ("model/MLmodel", "flavors: {}"u8.ToArray()) })
        {
            using var put = await _api.Http.PutAsync($"{Proxy}/{root}/{file}", new ByteArrayContent(bytes));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var name = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name }));
        await _api.OkAsync(_api.PostAsync("model-versions/create", new
        {
            name,
            source = $"runs:/{runId}/model",
            run_id = runId,
            tags = new[] { new { key = "stage", value = "candidate" } },
            description = "the original",
        }));
        return (name, runId, artifactUri, weights);
    }

    /// <summary>The calls MlflowClient.copy_model_version makes (mlflow 2.17 client, RestStore).</summary>
    private async Task<ApiResponse> CopyAsync(string sourceUri, string sourceName, string sourceVersion, string destination)
    {
        var source = (await _api.OkAsync(_api.GetAsync("model-versions/get", ("name", sourceName), ("version", sourceVersion)))).GetProperty("model_version");
        var created = await _api.PostAsync("registered-models/create", new { name = destination });
        Assert.True(created.Status == HttpStatusCode.OK || created.ErrorCode == "RESOURCE_ALREADY_EXISTS", created.Text);
        return await _api.PostAsync("model-versions/create", new
        {
            name = destination,
            source = sourceUri,
            run_id = source.GetProperty("run_id").GetString(),
            tags = source.TryGetProperty("tags", out var tags) ? tags.EnumerateArray().Select(t => new { key = t.GetProperty("key").GetString(), value = t.GetProperty("value").GetString() }).ToArray() : [],
            description = source.GetProperty("description").GetString(),
        });
    }

    private async Task<string> DownloadUriAsync(string name, string version) =>
        (await _api.OkAsync(_api.GetAsync("model-versions/get-download-uri", ("name", name), ("version", version)))).GetProperty("artifact_uri").GetString()!;

    [Fact]
    public async Task A_copy_keeps_the_files_location_after_the_source_model_is_renamed_and_deleted()
    {
        var (name, runId, artifactUri, weights) = await RegisteredModelAsync();
        var destination = NewName();

        var copy = (await _api.OkAsync(CopyAsync($"models:/{name}/1", name, "1", destination))).GetProperty("model_version");
        Assert.Equal("1", copy.GetProperty("version").GetString());
        Assert.Equal($"models:/{name}/1", copy.GetProperty("source").GetString());
        Assert.Equal(runId, copy.GetProperty("run_id").GetString());
        Assert.Equal("the original", copy.GetProperty("description").GetString());
        Assert.Equal("candidate", copy.GetProperty("tags")[0].GetProperty("value").GetString());
        Assert.Equal($"{artifactUri}/model", await DownloadUriAsync(destination, "1"));

        var renamed = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/rename", new { name, new_name = renamed }));
        Assert.Equal($"{artifactUri}/model", await DownloadUriAsync(destination, "1"));
        await _api.OkAsync(_api.DeleteAsync("registered-models/delete", new { name = renamed }));
        (await _api.GetAsync("model-versions/get", ("name", renamed), ("version", "1"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        // Loading the copy: resolve its download URI, list it and fetch every file through the proxy.
        var location = await DownloadUriAsync(destination, "1");
        Assert.StartsWith("mlflow-artifacts:/", location, StringComparison.Ordinal);
        var folder = location["mlflow-artifacts:/".Length..];
        var listing = await _api.OkAsync(_api.GetAsync(Proxy, ("path", folder)));
        Assert.Equal(["MLmodel", "model.pkl"], listing.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(weights, await _api.Http.GetByteArrayAsync($"{Proxy}/{folder}/model.pkl"));
        Assert.Equal("flavors: {}", await _api.Http.GetStringAsync($"{Proxy}/{folder}/MLmodel"));
    }

    [Fact]
    public async Task A_copy_of_a_copy_resolves_to_the_original_files()
    {
        var (name, _, artifactUri, _) = await RegisteredModelAsync();
        var first = NewName();
        var second = NewName();
        await _api.OkAsync(CopyAsync($"models:/{name}/1", name, "1", first));
        var copy = (await _api.OkAsync(CopyAsync($"models:/{first}/1", first, "1", second))).GetProperty("model_version");
        Assert.Equal($"models:/{first}/1", copy.GetProperty("source").GetString());
        Assert.Equal($"{artifactUri}/model", await DownloadUriAsync(second, "1"));
    }

    [Fact]
    public async Task Alias_stage_and_latest_sources_resolve_to_the_version_they_name_at_create_time()
    {
        var (name, runId, artifactUri, _) = await RegisteredModelAsync();
        await _api.OkAsync(_api.PostAsync("model-versions/create", new { name, source = $"runs:/{runId}/other", run_id = runId }));
        await _api.OkAsync(_api.PostAsync("registered-models/alias", new { name, alias = "champion", version = "1" }));
        await _api.OkAsync(_api.PostAsync("model-versions/transition-stage", new { name, version = "2", stage = "Production", archive_existing_versions = false }));

        var destination = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name = destination }));
        foreach (var (source, expected) in new[]
        {
            ($"models:/{name}@champion", $"{artifactUri}/model"),
            ($"models:/{name}/production", $"{artifactUri}/other"),
            ($"models:/{name}/latest", $"{artifactUri}/other"),
        })
        {
            var version = (await _api.OkAsync(_api.PostAsync("model-versions/create", new { name = destination, source }))).GetProperty("model_version");
            Assert.Equal(source, version.GetProperty("source").GetString());
            Assert.Equal(expected, await DownloadUriAsync(destination, version.GetProperty("version").GetString()!));
        }

        // Moving the alias later does not move copies made through it.
        await _api.OkAsync(_api.PostAsync("registered-models/alias", new { name, alias = "champion", version = "2" }));
        Assert.Equal($"{artifactUri}/model", await DownloadUriAsync(destination, "1"));
    }

    [Theory]
    [InlineData("models:/{0}/99", HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("models:/no-such-model-{0}/1", HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("models:/{0}@nobody", HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("models:/{0}/Staging", HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("models:/{0}/Limbo", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/{0}/99999999999999999999999", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/{0}", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/{0}/1/extra", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/{0}@", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:{0}/1", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    [InlineData("models:/{0}/ ", HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")]
    public async Task Unresolvable_models_sources_are_refused_and_create_nothing(string template, HttpStatusCode status, string code)
    {
        var (name, _, _, _) = await RegisteredModelAsync();
        var destination = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name = destination }));
        var source = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, name);

        (await _api.PostAsync("model-versions/create", new { name = destination, source })).AssertError(status, code, "Unable to fetch model from model URI source");

        var versions = await _api.OkAsync(_api.GetAsync("model-versions/search", ("filter", $"name='{destination}'")));
        Assert.False(versions.TryGetProperty("model_versions", out _), versions.GetRawText());
        (await _api.GetAsync("model-versions/get", ("name", destination), ("version", "1"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_deleted_source_version_cannot_be_copied()
    {
        var (name, _, _, _) = await RegisteredModelAsync();
        await _api.OkAsync(_api.DeleteAsync("model-versions/delete", new { name, version = "1" }));
        var destination = NewName();
        await _api.OkAsync(_api.PostAsync("registered-models/create", new { name = destination }));
        (await _api.PostAsync("model-versions/create", new { name = destination, source = $"models:/{name}/1" }))
            .AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", $"Model Version (name={name}, version=1) not found");
    }
}
