using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>
/// Proxied multipart upload as MLflow's HttpArtifactRepository does it with
/// MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true: mpu/create under the run's artifact folder with the local
/// file path and the part count, a PUT of each chunk to the URL its credential names (in parallel),
/// mpu/complete with the parts' numbers, ETags and URLs; mpu/abort when anything fails.
/// </summary>
public sealed class MultipartUploadTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private const string Proxy = "api/2.0/mlflow-artifacts/artifacts";
    private const string Mpu = "api/2.0/mlflow-artifacts/mpu";
    private const int ChunkSize = 5 * 1024 * 1024;
    private readonly MlflowHttp _api = server.Mlflow;

    private string Uploads => Path.Combine(server.DataDirectory, "artifact-uploads");

    private async Task<string> RunRootAsync()
    {
        var runId = await _api.CreateRunAsync(await _api.CreateExperimentAsync());
        var uri = (await _api.OkAsync(_api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info").GetProperty("artifact_uri").GetString()!;
        return uri["mlflow-artifacts:/".Length..];
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private static int PartCount(int size) => (size + ChunkSize - 1) / ChunkSize;

    private Task<ApiResponse> CreateAsync(string folder, object body) => _api.PostAsync($"{Mpu}/create/{folder}", body);

    private async Task<(string UploadId, List<(int Number, string Url)> Credentials)> CreateOkAsync(string folder, string localFile, int parts)
    {
        var created = await _api.OkAsync(CreateAsync(folder, new { path = localFile, num_parts = parts }));
        var credentials = created.GetProperty("credentials").EnumerateArray()
            .Select(c => (c.GetProperty("part_number").GetInt32(), c.GetProperty("url").GetString()!))
            .ToList();
        return (created.GetProperty("upload_id").GetString()!, credentials);
    }

    /// <summary>requests.put(credential.url, data=chunk): the part's ETag header, or the failed response.</summary>
    private async Task<(HttpStatusCode Status, string? ETag, string Body)> PutPartAsync(string url, ReadOnlyMemory<byte> chunk)
    {
        using var response = await _api.Http.PutAsync(url, new ReadOnlyMemoryContent(chunk));
        return (response.StatusCode, response.Headers.ETag?.ToString(), await response.Content.ReadAsStringAsync());
    }

    private static object Part(int number, string etag, string url) => new { part_number = number, etag, url };

    private async Task<List<object>> UploadPartsAsync(List<(int Number, string Url)> credentials, byte[] content)
    {
        // The client uploads the chunks from a thread pool: they arrive in any order, at once.
        var uploads = credentials.Select(async credential =>
        {
            var start = (credential.Number - 1) * ChunkSize;
            var (status, etag, body) = await PutPartAsync(credential.Url, content.AsMemory(start, Math.Min(ChunkSize, content.Length - start)));
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.NotNull(etag);
            return (credential.Number, Part: Part(credential.Number, etag, credential.Url));
        }).Reverse().ToList();
        return (await Task.WhenAll(uploads)).OrderBy(part => part.Number).Select(part => part.Part).ToList();
    }

    private async Task<HttpStatusCode> DownloadStatusAsync(string path)
    {
        using var response = await _api.Http.GetAsync($"{Proxy}/{path}");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_twelve_megabyte_file_goes_up_in_three_parts_and_comes_back_byte_equal()
    {
        var root = await RunRootAsync();
        var content = RandomBytes(12 * 1024 * 1024);
        const string LocalFile = "/tmp/tmpab12cd/model/weights.bin";

        var (uploadId, credentials) = await CreateOkAsync($"{root}/model", LocalFile, PartCount(content.Length));
        Assert.Matches("^[0-9a-f]{32}$", uploadId);
        Assert.Equal([1, 2, 3], credentials.Select(c => c.Number));
        Assert.All(credentials, c => Assert.StartsWith(server.BaseAddress.ToString(), c.Url, StringComparison.Ordinal));

        var parts = await UploadPartsAsync(credentials, content);
        Assert.Equal(HttpStatusCode.NotFound, await DownloadStatusAsync($"{root}/model/weights.bin"));
        await _api.OkAsync(_api.PostAsync($"{Mpu}/complete/{root}/model", new { path = LocalFile, upload_id = uploadId, parts }));

        var downloaded = await _api.Http.GetByteArrayAsync($"{Proxy}/{root}/model/weights.bin");
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(downloaded));
        Assert.Equal(content.Length, downloaded.Length);
        var listing = await _api.OkAsync(_api.GetAsync(Proxy, ("path", $"{root}/model")));
        var file = Assert.Single(listing.GetProperty("files").EnumerateArray());
        Assert.Equal("weights.bin", file.GetProperty("path").GetString());
        Assert.Equal(content.Length, file.GetProperty("file_size").GetInt64());

        // The upload is spent: completing or aborting it again finds nothing.
        (await _api.PostAsync($"{Mpu}/complete/{root}/model", new { path = LocalFile, upload_id = uploadId, parts })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync($"{Mpu}/abort/{root}/model", new { path = LocalFile, upload_id = uploadId })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        Assert.False(Directory.Exists(Path.Combine(Uploads, uploadId)));
    }

    [Fact]
    public async Task Abort_discards_the_parts_and_stores_nothing()
    {
        var root = await RunRootAsync();
        var content = RandomBytes(ChunkSize + 10);
        var (uploadId, credentials) = await CreateOkAsync(root, "big.bin", 2);
        var (status, etag, _) = await PutPartAsync(credentials[0].Url, content.AsMemory(0, ChunkSize));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(Directory.Exists(Path.Combine(Uploads, uploadId)));

        Assert.Equal("{}", (await _api.OkAsync(_api.PostAsync($"{Mpu}/abort/{root}", new { path = "big.bin", upload_id = uploadId }))).GetRawText());

        Assert.False(Directory.Exists(Path.Combine(Uploads, uploadId)));
        Assert.Equal(HttpStatusCode.NotFound, await DownloadStatusAsync($"{root}/big.bin"));
        var late = await PutPartAsync(credentials[1].Url, content.AsMemory(ChunkSize));
        Assert.Equal(HttpStatusCode.NotFound, late.Status);
        Assert.Contains("RESOURCE_DOES_NOT_EXIST", late.Body, StringComparison.Ordinal);
        (await _api.PostAsync($"{Mpu}/complete/{root}", new { path = "big.bin", upload_id = uploadId, parts = new[] { Part(1, etag!, credentials[0].Url) } }))
            .AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        Assert.Equal(HttpStatusCode.NotFound, await DownloadStatusAsync($"{root}/big.bin"));
    }

    [Theory]
    [InlineData("{\"path\": \"a.bin\", \"num_parts\": 0}")]
    [InlineData("{\"path\": \"a.bin\", \"num_parts\": -3}")]
    [InlineData("{\"path\": \"a.bin\", \"num_parts\": 10001}")]
    [InlineData("{\"path\": \"a.bin\", \"num_parts\": 99999999999999}")]
    [InlineData("{\"path\": \"a.bin\", \"num_parts\": \"many\"}")]
    [InlineData("{\"path\": \"a.bin\"}")]
    [InlineData("{\"num_parts\": 2}")]
    [InlineData("{\"path\": \"\", \"num_parts\": 2}")]
    [InlineData("{\"path\": \"/tmp/x/..\", \"num_parts\": 2}")]
    [InlineData("{\"path\": \"/tmp/x/\", \"num_parts\": 2}")]
    [InlineData("{\"path\": \"a\\u0000b\", \"num_parts\": 2}")]
    [InlineData("{\"path\": 7, \"num_parts\": 2}")]
    [InlineData("[1, 2]")]
    [InlineData("{not json")]
    public async Task Create_refuses_bad_input(string body)
    {
        var root = await RunRootAsync();
        (await _api.PostRawAsync($"{Mpu}/create/{root}", body)).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "artifacts", root)));
    }

    [Fact]
    public async Task Create_refuses_a_target_that_is_a_directory_or_under_a_file()
    {
        var root = await RunRootAsync();
        using var put = await _api.Http.PutAsync($"{Proxy}/{root}/model/MLmodel", new ByteArrayContent("x"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        (await CreateAsync(root, new { path = "/local/model", num_parts = 1 })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "directory");
        (await CreateAsync($"{root}/model/MLmodel/inner", new { path = "/local/w.bin", num_parts = 1 })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "is a file");
    }

    [Theory]
    [InlineData("create")]
    [InlineData("complete")]
    [InlineData("abort")]
    [InlineData("parts")]
    public async Task Paths_that_escape_the_store_are_refused(string action)
    {
        var uri = new Uri($"{server.BaseAddress}{Mpu}/{action}/0/%2E%2E/%2E%2E/etc", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var response = await _api.Http.PostAsync(uri, JsonContent.Create(new { path = "passwd", num_parts = 1, upload_id = new string('a', 32), parts = Array.Empty<object>() }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_PARAMETER_VALUE", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_code").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3")]
    [InlineData("10001")]
    [InlineData("99999999999999999999999")]
    [InlineData("-1")]
    [InlineData("one")]
    public async Task Part_numbers_outside_the_upload_are_refused(string number)
    {
        var root = await RunRootAsync();
        var (uploadId, _) = await CreateOkAsync(root, "f.bin", 2);
        var (status, _, body) = await PutPartAsync($"{Mpu}/parts/{uploadId}/{number}", new byte[10]);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("INVALID_PARAMETER_VALUE", body, StringComparison.Ordinal);
        Assert.Equal(["upload.json"], Directory.EnumerateFiles(Path.Combine(Uploads, uploadId)).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("not-an-upload")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    public async Task Parts_for_unknown_uploads_are_resource_does_not_exist(string uploadId)
    {
        var (status, _, body) = await PutPartAsync($"{Mpu}/parts/{uploadId}/1", new byte[10]);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("RESOURCE_DOES_NOT_EXIST", body, StringComparison.Ordinal);
    }

    /// <summary>Every refused complete leaves the upload as it was: the right complete afterwards still works, byte-equal.</summary>
    [Fact]
    public async Task Complete_refuses_bad_parts_and_stores_nothing_until_the_parts_are_right()
    {
        var root = await RunRootAsync();
        var content = RandomBytes((2 * ChunkSize) + 1000);
        var (uploadId, credentials) = await CreateOkAsync(root, "/home/me/data.bin", 3);
        var (_, etag1, _) = await PutPartAsync(credentials[0].Url, content.AsMemory(0, ChunkSize));
        var (_, etag2, _) = await PutPartAsync(credentials[1].Url, content.AsMemory(ChunkSize, ChunkSize));
        var url3 = credentials[2].Url;
        string Etag(int n) => n == 1 ? etag1! : etag2!;
        var zeros = "\"00000000000000000000000000000000\"";

        async Task RefusedAsync(object body, HttpStatusCode status, string code)
        {
            (await _api.PostAsync($"{Mpu}/complete/{root}", body)).AssertError(status, code);
            Assert.Equal(HttpStatusCode.NotFound, await DownloadStatusAsync($"{root}/data.bin"));
        }

        var listed = new[] { Part(1, Etag(1), credentials[0].Url), Part(2, Etag(2), credentials[1].Url) };
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = listed }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // part 3 missing from the list
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = listed.Append(Part(3, zeros, url3)).ToArray() }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // part 3 never uploaded
        Assert.Equal(HttpStatusCode.OK, (await PutPartAsync(url3, content.AsMemory(2 * ChunkSize))).Status);
        var (_, etag3, _) = await PutPartAsync(url3, content.AsMemory(2 * ChunkSize));
        var all = listed.Append(Part(3, etag3!, url3)).ToArray();

        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = new[] { all[0], Part(2, zeros, credentials[1].Url), all[2] } }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // wrong ETag
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = new[] { all[0], Part(2, "", credentials[1].Url), all[2] } }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // no ETag
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = new[] { all[1], all[0], all[2] } }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // out of order
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = new[] { all[0], all[0], all[1], all[2] } }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // listed twice
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = all.Append(Part(4, Etag(1), url3)).ToArray() }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // beyond num_parts
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = new[] { new { part_number = 1L << 40, etag = Etag(1), url = url3 } } }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // huge part number
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = Array.Empty<object>() }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await RefusedAsync(new { path = "data.bin", parts = all }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // no upload_id
        await RefusedAsync(new { upload_id = uploadId, parts = all }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"); // no path
        await RefusedAsync(new { path = "data.bin", upload_id = uploadId, parts = "all" }, HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await RefusedAsync(new { path = "data.bin", upload_id = "0123456789abcdef0123456789abcdef", parts = all }, HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await RefusedAsync(new { path = "data.bin", upload_id = "../../etc", parts = all }, HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await RefusedAsync(new { path = "other.bin", upload_id = uploadId, parts = all }, HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST"); // another file's upload
        (await _api.PostAsync($"{Mpu}/complete/{root}/sub", new { path = "data.bin", upload_id = uploadId, parts = all })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync($"{Mpu}/abort/{root}", new { path = "other.bin", upload_id = uploadId })).AssertError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _api.PostAsync($"{Mpu}/abort/{root}", new { path = "data.bin" })).AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        await _api.OkAsync(_api.PostAsync($"{Mpu}/complete/{root}", new { path = "/home/me/data.bin", upload_id = uploadId, parts = all }));
        Assert.Equal(content, await _api.Http.GetByteArrayAsync($"{Proxy}/{root}/data.bin"));
    }

    [Fact]
    public async Task A_windows_client_path_stores_under_its_file_name()
    {
        var root = await RunRootAsync();
        const string LocalFile = @"C:\Users\me\model.onnx";
        var (uploadId, credentials) = await CreateOkAsync($"{root}/onnx", LocalFile, 1);
        var (_, etag, _) = await PutPartAsync(credentials[0].Url, "onnx bytes"u8.ToArray());
        await _api.OkAsync(_api.PostAsync($"{Mpu}/complete/{root}/onnx", new { path = LocalFile, upload_id = uploadId, parts = new[] { Part(1, etag!, credentials[0].Url) } }));
        Assert.Equal("onnx bytes", await _api.Http.GetStringAsync($"{Proxy}/{root}/onnx/model.onnx"));
    }

    [Fact]
    public async Task A_refused_complete_leaves_an_existing_artifact_whole()
    {
        var root = await RunRootAsync();
        using (var put = await _api.Http.PutAsync($"{Proxy}/{root}/model.bin", new ByteArrayContent("version one"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var (uploadId, credentials) = await CreateOkAsync(root, "model.bin", 1);
        var (_, etag, _) = await PutPartAsync(credentials[0].Url, "version two"u8.ToArray());
        Assert.Equal("version one", await _api.Http.GetStringAsync($"{Proxy}/{root}/model.bin"));

        // Bytes changed under the ETag: the stored part is re-sent, the ETag names other bytes.
        await PutPartAsync(credentials[0].Url, "version 2!!"u8.ToArray());
        (await _api.PostAsync($"{Mpu}/complete/{root}", new { path = "model.bin", upload_id = uploadId, parts = new[] { Part(1, etag!, credentials[0].Url) } }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "ETag");
        Assert.Equal("version one", await _api.Http.GetStringAsync($"{Proxy}/{root}/model.bin"));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "artifacts", root)), f => f.EndsWith(".partial", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GET", "api/2.0/mlflow-artifacts/nothing-here")]
    [InlineData("POST", "api/2.0/mlflow-artifacts/mpu/unknown/0/a")]
    [InlineData("POST", "api/2.0/mlflow-artifacts/artifacts/0/a.txt")]
    [InlineData("GET", "api/2.0/mlflow-artifacts/mpu/parts/0123456789abcdef0123456789abcdef/1")]
    [InlineData("GET", "api/2.0/mlflow-artifacts")]
    public async Task Unmatched_proxy_routes_answer_a_json_endpoint_not_found(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await _api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ENDPOINT_NOT_FOUND", body.GetProperty("error_code").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("PUT", "create")]
    [InlineData("GET", "create")]
    [InlineData("DELETE", "abort")]
    [InlineData("GET", "complete")]
    public async Task Mpu_actions_refuse_other_methods_with_json_and_open_nothing(string method, string action)
    {
        var root = await RunRootAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{Mpu}/{action}/{root}?path=a.bin&num_parts=1")
        {
            Content = JsonContent.Create(new { path = "a.bin", num_parts = 1 }),
        };
        var before = Directory.Exists(Uploads) ? Directory.GetDirectories(Uploads).Length : 0;
        using var response = await _api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("BAD_REQUEST", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_code").GetString());
        Assert.Equal(before, Directory.Exists(Uploads) ? Directory.GetDirectories(Uploads).Length : 0);
    }
}
