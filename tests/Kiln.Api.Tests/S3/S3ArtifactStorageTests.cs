using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Amazon.S3.Model;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Tests.Artifacts;

namespace Kiln.Api.Tests.S3;

/// <summary>
/// <c>kiln server --artifacts s3://BUCKET/PREFIX --s3-endpoint URL</c> against an S3-compatible server (moto's, or
/// <c>KILN_TEST_S3_ENDPOINT</c>): MLflow artifacts and Kiln's own S3 API keep their bytes in that bucket, not on disk.
/// </summary>
public sealed class S3ArtifactStorageTests(S3TestBucket bucket) : IClassFixture<S3TestBucket>
{
    private const string Proxy = "api/2.0/mlflow-artifacts/artifacts";

    [S3Fact]
    public async Task Artifacts_and_objects_live_in_the_s3_bucket()
    {
        var endpoint = await S3TestServer.EndpointAsync();
        var data = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));
        using var kiln = await KilnProcess.StartAsync(data, Credentials(), null, "--artifacts", $"s3://{bucket.Name}/kiln", "--s3-endpoint", endpoint.ToString());
        using var mlflow = new MlflowHttp(kiln.BaseAddress);

        using (var health = await mlflow.Http.GetAsync("health"))
        {
            Assert.Contains($"s3://{bucket.Name}/kiln", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // MLflow: log an artifact into a run (proxy upload), list it with the run, download it; one larger than a part.
        var runId = await mlflow.CreateRunAsync(await mlflow.CreateExperimentAsync());
        var artifactUri = (await mlflow.OkAsync(mlflow.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("info").GetProperty("artifact_uri").GetString()!;
        var root = artifactUri["mlflow-artifacts:/".Length..];
        var model = RandomNumberGenerator.GetBytes((9 * 1024 * 1024) + 77);
        var card = "# churn model\n"u8.ToArray();
        await PutAsync(mlflow.Http, $"{Proxy}/{root}/model/model.onnx", model);
        await PutAsync(mlflow.Http, $"{Proxy}/{root}/README.md", card);

        var listed = await mlflow.OkAsync(mlflow.GetAsync("artifacts/list", ("run_id", runId), ("path", "model")));
        var file = Assert.Single(listed.GetProperty("files").EnumerateArray());
        Assert.Equal("model/model.onnx", file.GetProperty("path").GetString());
        Assert.Equal(model.Length, file.GetProperty("file_size").GetInt64());
        Assert.Equal(model, await mlflow.Http.GetByteArrayAsync($"{Proxy}/{root}/model/model.onnx"));
        Assert.Equal(card, await mlflow.Http.GetByteArrayAsync($"{Proxy}/{root}/README.md"));

        // Kiln's S3 API: an object put, then read whole and by range.
        await SendS3Async(mlflow.Http, HttpMethod.Put, "/capture");
        var record = "{\"captureData\":{\"endpointInput\":{\"data\":\"1,2,3\"}}}\n"u8.ToArray();
        await SendS3Async(mlflow.Http, HttpMethod.Put, "/capture/endpoint/2026/12/06/records.jsonl", record);
        Assert.Equal(record, await SendS3Async(mlflow.Http, HttpMethod.Get, "/capture/endpoint/2026/12/06/records.jsonl"));
        Assert.Equal(record[2..9], await SendS3Async(mlflow.Http, HttpMethod.Get, "/capture/endpoint/2026/12/06/records.jsonl", range: (2, 8)));

        // boto3 through Kiln: a multipart upload and ranged, concurrent downloads, as users drive S3.
        await Boto3.RunAsync(kiln.BaseAddress, "s3_roundtrip.py", "test_multipart_upload_and_download_match");

        // The bytes really are in the bucket, under the prefix, one tree per store.
        var keys = await KeysAsync("kiln/");
        Assert.Equal(model.Length, keys[$"kiln/artifacts/{root}/model/model.onnx"]);
        Assert.Equal(card.Length, keys[$"kiln/artifacts/{root}/README.md"]);
        Assert.Equal(record.Length, keys["kiln/objects/capture/endpoint/2026/12/06/records.jsonl"]);
        Assert.Equal((17 * 1024 * 1024) + 123, keys["kiln/objects/large/models/model.bin"]);
        Assert.DoesNotContain(keys.Keys, key => key.Contains("/_uploads/", StringComparison.Ordinal) || key.StartsWith("kiln/upload-parts/", StringComparison.Ordinal));
        using (var stored = await bucket.Client.GetObjectAsync(bucket.Name, $"kiln/artifacts/{root}/model/model.onnx"))
        {
            Assert.Equal(SHA256.HashData(model), await SHA256.HashDataAsync(stored.ResponseStream));
        }

        // Nothing of it on the local disk.
        Assert.False(Directory.Exists(Path.Combine(data, "artifacts")) && Directory.EnumerateFiles(Path.Combine(data, "artifacts"), "*", SearchOption.AllDirectories).Any());
        Assert.False(Directory.Exists(Path.Combine(data, "objects")) && Directory.EnumerateFiles(Path.Combine(data, "objects"), "*", SearchOption.AllDirectories).Any());
    }

    [S3Fact]
    public async Task A_missing_bucket_or_an_unreachable_endpoint_stops_start_up_with_one_line()
    {
        var endpoint = await S3TestServer.EndpointAsync();
        var closedPort = FreePort();
        (string[] Arguments, int ExitCode, string Expected)[] cases =
        [
            // A store that cannot be used exits 2; options that are wrong in themselves exit 1, as any bad option does.
            (["--artifacts", "s3://kiln-no-such-bucket/x", "--s3-endpoint", endpoint.ToString()], 2, "the bucket kiln-no-such-bucket does not exist"),
            (["--artifacts", $"s3://{bucket.Name}/x", "--s3-endpoint", $"http://127.0.0.1:{closedPort}"], 2, $"--artifacts s3://{bucket.Name}/x at http://127.0.0.1:{closedPort}/: cannot use the S3 store"),
            (["--artifacts", "not-s3://b"], 1, "is not an s3://BUCKET/PREFIX URI"),
            (["--s3-endpoint", endpoint.ToString()], 1, "--s3-endpoint needs --artifacts"),
        ];
        foreach (var (arguments, exitCode, expected) in cases)
        {
            var data = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "server", "--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", data, .. arguments])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var (name, value) in Credentials())
            {
                start.Environment[name] = value;
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);

            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(exitCode, process.ExitCode);
            var line = Assert.Single(lines);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain("listening", await stdout, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static Dictionary<string, string> Credentials() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretAccessKey,
        ["AWS_REGION"] = "us-east-1",
    };

    private static async Task PutAsync(HttpClient http, string path, byte[] content)
    {
        using var response = await http.PutAsync(path, new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<byte[]> SendS3Async(HttpClient http, HttpMethod method, string path, byte[]? content = null, (long First, long Last)? range = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content is null ? null : new ByteArrayContent(content) };
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        if (range is var (first, last))
        {
            request.Headers.Range = new RangeHeaderValue(first, last);
        }

        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<Dictionary<string, long>> KeysAsync(string prefix)
    {
        var keys = new Dictionary<string, long>();
        var request = new ListObjectsV2Request { BucketName = bucket.Name, Prefix = prefix };
        do
        {
            var page = await bucket.Client.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                keys[item.Key] = item.Size ?? -1;
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return keys;
    }

    private static int FreePort() => KilnProcess.FreePort();
}
