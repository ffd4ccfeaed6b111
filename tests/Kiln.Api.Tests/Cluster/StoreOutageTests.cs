using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Artifacts.S3;
using Xunit.Abstractions;

namespace Kiln.Api.Tests.Cluster;

/// <summary>
/// The stores of cluster mode going away while Kiln works, each test with a server of its own that it stops: PostgreSQL
/// restarted under a stream of writes from three API dialects (each answers its retryable error meanwhile, and every
/// write it acknowledged is there afterwards), and the S3 store killed while jobs upload their outputs (the upload
/// waits it out, or the job fails saying so). Skips when PostgreSQL's binaries or moto's server are not installed.
/// </summary>
public sealed class StoreOutageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-tests", "outage-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task PostgreSQL_restarted_under_writes_answers_retryable_errors_and_keeps_every_acknowledged_write()
    {
        var (postgres, skip) = await OwnPostgres.TryStartAsync();
        if (postgres is null)
        {
            output.WriteLine(skip);
            return;
        }

        Own(postgres);
        var kiln = Own(await KilnProcess.StartAsync(Path.Combine(_root, "server"), new Dictionary<string, string>(), null, "--store", postgres.Url, "--job-slots", "2"));
        using var sageMaker = new SageMakerHttp(kiln.BaseAddress);
        await S3Async(sageMaker.Http, HttpMethod.Put, "/outage", null);

        // A job that runs through the outage: its script sleeps while PostgreSQL is down.
        await sageMaker.CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = "through-the-outage",
            RoleArn = SageMakerHttp.Role,
            AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "bash", "-c", "sleep 15; echo done > output/result.txt" } },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "result", S3Output = new { S3Uri = "s3://outage/job", LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.xlarge", VolumeSizeInGB = 1 } },
            StoppingCondition = new { MaxRuntimeInSeconds = 300 },
        });
        await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = "through-the-outage" }, "ProcessingJobStatus", "Pending");

        var writes = new ConcurrentQueue<Write>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                writes.Enqueue(await TimedAsync("mlflow", $"experiment-{round}", () => PostJsonAsync(sageMaker.Http, "api/2.0/mlflow/experiments/create", null, new { name = $"experiment-{round}" })));
                writes.Enqueue(await TimedAsync("sagemaker", $"group-{round}", () => PostJsonAsync(sageMaker.Http, "/", "SageMaker.CreateModelPackageGroup", new { ModelPackageGroupName = $"group-{round}" })));
                writes.Enqueue(await TimedAsync("s3", $"object-{round}", () => PutObjectAsync(sageMaker.Http, $"/outage/objects/{round}", $"object {round}")));
            }
        });

        await WaitUntilAsync(() => writes.Count(write => write.Status == 200) >= 9, "writes before the outage");
        await postgres.StopAsync();
        var stoppedAt = writes.Count;
        await WaitUntilAsync(() => writes.Count >= stoppedAt + 9, "writes during the outage");
        await postgres.StartAsync();
        var restartedAt = writes.Count;
        await WaitUntilAsync(() => writes.Skip(restartedAt).Count(write => write.Status == 200) >= 9, "writes after the restart");
        await stop.CancelAsync();
        await writer;

        var all = writes.ToList();
        output.WriteLine(string.Join('\n', all.Select(write => $"{write.Dialect} {write.Name}: {write.Status} {write.Code} in {write.Elapsed.TotalMilliseconds:0} ms")));
        var refused = all.Where(write => write.Status != 200).ToList();
        Assert.All(refused, write => Assert.Equal(write.Dialect switch
        {
            "mlflow" => (503, "TEMPORARILY_UNAVAILABLE"),
            _ => (503, "ServiceUnavailable"),
        }, (write.Status, write.Code)));
        Assert.Equal(["mlflow", "s3", "sagemaker"], refused.Select(write => write.Dialect).Distinct().Order());

        // Fail fast: a refused call answers within a few seconds, not after connection timeouts.
        Assert.All(refused, write => Assert.True(write.Elapsed < TimeSpan.FromSeconds(5), $"{write.Name} took {write.Elapsed}"));

        // Every acknowledged write is there.
        foreach (var write in all.Where(write => write.Status == 200))
        {
            switch (write.Dialect)
            {
                case "mlflow":
                    using (var response = await sageMaker.Http.GetAsync($"api/2.0/mlflow/experiments/get-by-name?experiment_name={write.Name}"))
                    {
                        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{write.Name} was acknowledged but is missing: {await response.Content.ReadAsStringAsync()}");
                    }

                    break;
                case "sagemaker":
                    await sageMaker.CallAsync("DescribeModelPackageGroup", new { ModelPackageGroupName = write.Name });
                    break;
                default:
                    var body = await S3Async(sageMaker.Http, HttpMethod.Get, $"/outage/objects/{write.Name["object-".Length..]}", null);
                    Assert.Equal($"object {write.Name["object-".Length..]}", Encoding.UTF8.GetString(body));
                    break;
            }
        }

        var job = await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = "through-the-outage" }, "ProcessingJobStatus", "InProgress", "Pending", "Stopping");
        Assert.True(job["ProcessingJobStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());
        Assert.Equal("done\n", Encoding.UTF8.GetString(await S3Async(sageMaker.Http, HttpMethod.Get, "/outage/job/result.txt", null)));
    }

    [Fact]
    public async Task With_auth_a_PostgreSQL_outage_is_each_dialects_retryable_error_while_callers_cannot_be_checked()
    {
        var (postgres, skip) = await OwnPostgres.TryStartAsync();
        if (postgres is null)
        {
            output.WriteLine(skip);
            return;
        }

        Own(postgres);
        var data = Path.Combine(_root, "auth-server");
        var (code, stdout, stderr) = await Repository.RunWithStreamsAsync(
            "dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "users", "create", "alice", "--admin", "--json", "--store", postgres.Url, "--data-dir", data],
            Repository.Root, TimeSpan.FromMinutes(2), null);
        Assert.True(code == 0, stdout + stderr);
        var secret = JsonNode.Parse(stdout)!["secret_access_key"]!.GetValue<string>();
        var kiln = Own(await KilnProcess.StartAsync(data, new Dictionary<string, string>(), null, "--store", postgres.Url, "--auth"));
        using var http = new HttpClient { BaseAddress = kiln.BaseAddress };
        var basic = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + secret)));

        async Task<(int Status, string? Code, bool RetryAfter)> CallAsync(string dialect)
        {
            using var request = dialect switch
            {
                "mlflow" => new HttpRequestMessage(HttpMethod.Post, "api/2.0/mlflow/experiments/search") { Content = new StringContent("{\"max_results\": 1}", Encoding.UTF8, "application/json") },
                "sagemaker" => new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1") },
                _ => new HttpRequestMessage(HttpMethod.Get, "/"),
            };
            if (dialect == "mlflow")
            {
                request.Headers.Authorization = basic;
            }
            else
            {
                // A signature whose key must be looked up in the store before anything else can be checked (a key never
                // asked for before, so no cached answer stands in for the store).
                var key = "AKIA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
                var now = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={key}/{now[..8]}/us-east-1/{dialect}/aws4_request, SignedHeaders=host;x-amz-date, Signature={new string('0', 64)}");
                request.Headers.TryAddWithoutValidation("X-Amz-Date", now);
                if (dialect == "sagemaker")
                {
                    request.Headers.TryAddWithoutValidation("X-Amz-Target", "SageMaker.ListModels");
                }
            }

            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var error = response.IsSuccessStatusCode ? null : dialect switch
            {
                "mlflow" => JsonNode.Parse(text)?["error_code"]?.GetValue<string>(),
                "sagemaker" => JsonNode.Parse(text)?["__type"]?.GetValue<string>(),
                _ => System.Xml.Linq.XElement.Parse(text).Element("Code")?.Value,
            };
            return ((int)response.StatusCode, error, response.Headers.RetryAfter is not null);
        }

        Assert.Equal((200, null, false), await CallAsync("mlflow"));
        Assert.Equal(403, (await CallAsync("s3")).Status);
        await postgres.StopAsync();
        Assert.Equal((503, "TEMPORARILY_UNAVAILABLE", true), await CallAsync("mlflow"));
        Assert.Equal((503, "ServiceUnavailable", true), await CallAsync("sagemaker"));
        Assert.Equal((503, "ServiceUnavailable", true), await CallAsync("s3"));
        await postgres.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await CallAsync("mlflow")).Status != 200)
        {
            Assert.True(DateTime.UtcNow < deadline, "MLflow calls did not succeed again after PostgreSQL came back");
            await Task.Delay(500);
        }

        Assert.Equal(403, (await CallAsync("s3")).Status);
    }

    [Fact]
    public async Task Job_outputs_wait_out_an_S3_outage_and_a_job_whose_outputs_cannot_be_stored_fails_saying_so()
    {
        var (moto, skip) = await OwnMoto.TryStartAsync();
        if (moto is null)
        {
            output.WriteLine(skip);
            return;
        }

        Own(moto);
        await CreateArtifactBucketAsync(moto);
        var kiln = Own(await KilnProcess.StartAsync(Path.Combine(_root, "server"), Credentials(), null,
            "--artifacts", "s3://kiln-outage/kiln", "--s3-endpoint", moto.Endpoint.ToString(), "--job-slots", "2"));
        using var sageMaker = new SageMakerHttp(kiln.BaseAddress);
        await S3Async(sageMaker.Http, HttpMethod.Put, "/results", null);

        // The store dies while the script runs and comes back (empty, as moto does) while the upload is retrying.
        await StartJobAsync(sageMaker, "outputs-wait", "sleep 5; echo waited > output/result.txt");
        moto.Kill();
        await Task.Delay(TimeSpan.FromSeconds(10));
        var before = await sageMaker.CallAsync("DescribeProcessingJob", new { ProcessingJobName = "outputs-wait" });
        Assert.Equal("InProgress", before["ProcessingJobStatus"]!.GetValue<string>());
        await moto.StartAsync();
        await CreateArtifactBucketAsync(moto);
        var waited = await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = "outputs-wait" }, "ProcessingJobStatus", "InProgress", "Pending", "Stopping");
        Assert.True(waited["ProcessingJobStatus"]!.GetValue<string>() == "Completed", waited.ToJsonString());
        Assert.Equal("waited\n", Encoding.UTF8.GetString(await S3Async(sageMaker.Http, HttpMethod.Get, "/results/outputs-wait/result.txt", null)));

        // The store dies and stays dead: the job fails with the reason, never Completed.
        await StartJobAsync(sageMaker, "outputs-lost", "sleep 2; echo lost > output/result.txt");
        moto.Kill();
        var watch = Stopwatch.StartNew();
        var lost = await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = "outputs-lost" }, "ProcessingJobStatus", "InProgress", "Pending", "Stopping");
        output.WriteLine($"failed after {watch.Elapsed}: {lost.ToJsonString()}");
        Assert.Equal("Failed", lost["ProcessingJobStatus"]!.GetValue<string>());
        var reason = lost["FailureReason"]!.GetValue<string>();
        Assert.StartsWith("InternalServerError: Could not store the job's output at s3://results/outputs-lost/result.txt", reason, StringComparison.Ordinal);
        Assert.Contains("attempts", reason, StringComparison.Ordinal);
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(8), $"the upload gave up after {watch.Elapsed}, without waiting the outage out");
    }

    private static async Task StartJobAsync(SageMakerHttp sageMaker, string name, string script)
    {
        await sageMaker.CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = name,
            RoleArn = SageMakerHttp.Role,
            AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "bash", "-c", script } },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "result", S3Output = new { S3Uri = $"s3://results/{name}", LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.xlarge", VolumeSizeInGB = 1 } },
            StoppingCondition = new { MaxRuntimeInSeconds = 300 },
        });
        await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = name }, "ProcessingJobStatus", "Pending");
    }

    private static async Task CreateArtifactBucketAsync(OwnMoto moto)
    {
        using var client = new S3ArtifactLocation("kiln-outage", "", moto.Endpoint).CreateClient(new BasicAWSCredentials("kiln-test", "kiln-test"));
        await client.PutBucketAsync("kiln-outage");
    }

    private static Dictionary<string, string> Credentials() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = "kiln-test",
        ["AWS_SECRET_ACCESS_KEY"] = "kiln-test",
        ["AWS_REGION"] = "us-east-1",
    };

    private sealed record Write(string Dialect, string Name, int Status, string? Code, TimeSpan Elapsed);

    private static async Task<Write> TimedAsync(string dialect, string name, Func<Task<(int Status, string? Code)>> call)
    {
        var watch = Stopwatch.StartNew();
        var (status, code) = await call();
        return new Write(dialect, name, status, code, watch.Elapsed);
    }

    private static async Task<(int, string?)> PostJsonAsync(HttpClient http, string path, string? target, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, target is null ? "application/json" : "application/x-amz-json-1.1") };
        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var code = response.IsSuccessStatusCode ? null : (JsonNode.Parse(text)?[target is null ? "error_code" : "__type"]?.GetValue<string>());
        return ((int)response.StatusCode, code);
    }

    private static async Task<(int, string?)> PutObjectAsync(HttpClient http, string path, string content)
    {
        using var request = S3Request(HttpMethod.Put, path, Encoding.UTF8.GetBytes(content));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var code = response.IsSuccessStatusCode ? null : System.Xml.Linq.XElement.Parse(text).Element("Code")?.Value;
        return ((int)response.StatusCode, code);
    }

    private static HttpRequestMessage S3Request(HttpMethod method, string path, byte[]? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content is null ? null : new ByteArrayContent(content) };
        // Kiln tells S3 requests from its other APIs by their SigV4 header (not verified without --auth).
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        return request;
    }

    private static async Task<byte[]> S3Async(HttpClient http, HttpMethod method, string path, byte[]? content)
    {
        using var request = S3Request(method, path, content);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(120); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if (condition())
            {
                return;
            }
        }

        throw new TimeoutException($"timed out waiting for {what}");
    }

    private T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public void Dispose()
    {
        foreach (var resource in Enumerable.Reverse(_owned))
        {
            resource.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
