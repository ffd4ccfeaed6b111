using System.Net;
using System.Text;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>The mlflow-artifacts proxy and artifacts/list, as an MLflow client in proxy mode uses them.</summary>
public sealed class ArtifactsApiTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private const string Proxy = "api/2.0/mlflow-artifacts/artifacts";
    private readonly MlflowHttp _api = server.Mlflow;

    private async Task<(string RunId, string RootPath)> RunAsync()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var uri = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info").GetProperty("artifact_uri").GetString()!;
        Assert.StartsWith("mlflow-artifacts:/", uri, StringComparison.Ordinal);
        return (runId, uri["mlflow-artifacts:/".Length..]);
    }

    private async Task<HttpStatusCode> PutAsync(string path, byte[] content)
    {
        using var response = await _api.Http.PutAsync($"{Proxy}/{path}", new ByteArrayContent(content));
        return response.StatusCode;
    }

    [Fact]
    public async Task Upload_download_list_and_delete_through_the_proxy()
    {
        var (runId, root) = await RunAsync();
        var model = Encoding.UTF8.GetBytes("model bytes " + Guid.NewGuid());
        Assert.Equal(HttpStatusCode.OK, await PutAsync($"{root}/model/model.pkl", model));
        Assert.Equal(HttpStatusCode.OK, await PutAsync($"{root}/model/MLmodel", "flavors: {}"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, await PutAsync($"{root}/metrics.json", "{}"u8.ToArray()));

        Assert.Equal(model, await _api.Http.GetByteArrayAsync($"{Proxy}/{root}/model/model.pkl"));

        var proxyList = await _api.OkAsync(_api.GetAsync(Proxy, ("path", $"{root}/model")));
        Assert.Equal(["MLmodel", "model.pkl"], proxyList.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));

        var runList = await _api.OkAsync(_api.GetAsync("artifacts/list", ("run_id", runId)));
        Assert.Equal($"mlflow-artifacts:/{root}", runList.GetProperty("root_uri").GetString());
        var files = runList.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.True(files["model"].GetProperty("is_dir").GetBoolean());
        Assert.Equal(2, files["metrics.json"].GetProperty("file_size").GetInt64());

        var nested = await _api.OkAsync(_api.GetAsync("artifacts/list", ("run_id", runId), ("path", "model")));
        Assert.Equal(["model/MLmodel", "model/model.pkl"], nested.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));

        using (var deleted = await _api.Http.DeleteAsync($"{Proxy}/{root}/model/model.pkl"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var missing = await _api.Http.GetAsync($"{Proxy}/{root}/model/model.pkl");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Overwriting_a_file_replaces_it_whole()
    {
        var (_, root) = await RunAsync();
        Assert.Equal(HttpStatusCode.OK, await PutAsync($"{root}/a.txt", new byte[100_000]));
        Assert.Equal(HttpStatusCode.OK, await PutAsync($"{root}/a.txt", "short"u8.ToArray()));
        Assert.Equal("short", await _api.Http.GetStringAsync($"{Proxy}/{root}/a.txt"));
    }

    [Theory]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("0/%2E%2E/%2E%2E/secret")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("0/a%5C..%5Cb")]
    public async Task Paths_that_escape_the_store_are_refused(string path)
    {
        // Sent exactly as written: .NET would otherwise resolve the dot segments before sending.
        var uri = new Uri($"{server.BaseAddress}{Proxy}/{path}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var put = await _api.Http.PutAsync(uri, new ByteArrayContent("x"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("INVALID_PARAMETER_VALUE", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var get = await _api.Http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, "secret")));
    }

    [Theory]
    [InlineData("../other-run")]
    [InlineData("/etc")]
    [InlineData("model/../../..")]
    [InlineData("C:\\Windows")]
    public async Task Listing_outside_the_run_is_refused(string path)
    {
        var (runId, _) = await RunAsync();
        (await _api.GetAsync("artifacts/list", ("run_id", runId), ("path", path))).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path");
        (await _api.GetAsync(Proxy, ("path", path))).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path");
    }

    [Fact]
    public async Task Listing_an_unknown_run_is_resource_does_not_exist()
    {
        (await _api.GetAsync("artifacts/list", ("run_id", "ffffffffffffffffffffffffffffffff"))).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }
}
