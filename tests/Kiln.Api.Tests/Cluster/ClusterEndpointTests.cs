using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Postgres;
using Kiln.Storage.Tests.Artifacts;
using Npgsql;
using Xunit.Abstractions;

namespace Kiln.Api.Tests.Cluster;

/// <summary>
/// Endpoints in cluster mode, every node a real <c>kiln</c> process on one PostgreSQL database and one S3 bucket: two
/// servers without job slots and two workers. An endpoint's two replicas are placed on both workers and any server
/// routes to them; a bandit learns from rewards sent to the other server than the one that served; a worker is
/// SIGKILLed and invocations keep succeeding on the other replica, which is then placed again on the survivor.
/// Needs KILN_TEST_POSTGRES and an S3 server (.ci/run); skips without them.
/// </summary>
public sealed class ClusterEndpointTests(S3TestBucket bucket, ITestOutputHelper output) : IClassFixture<S3TestBucket>, IDisposable
{
    private const string Data = "kiln-cluster-endpoints";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-tests", "cluster-endpoints-" + Guid.NewGuid().ToString("N"));
    private readonly string _database = "kiln_cluster_ep_" + Guid.NewGuid().ToString("N");
    private readonly List<IDisposable> _processes = [];
    private string? _server;

    [S3Fact]
    public async Task Replicas_spread_over_workers_any_server_routes_rewards_count_anywhere_and_a_killed_worker_is_survived()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var s3 = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln", "--s3-endpoint", s3.ToString(), "--job-watchdog-seconds", "2"];
        var serverA = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server-a"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        var serverB = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server-b"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        var workers = new[]
        {
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-a"), Credentials(), [.. shared, "--job-slots", "2"])),
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-b"), Credentials(), [.. shared, "--job-slots", "2"])),
        };
        using var a = new SageMakerHttp(serverA.BaseAddress);
        using var b = new SageMakerHttp(serverB.BaseAddress);
        await WaitForAsync(a.Http, "api/kiln/cluster", report => report["nodes"]!.AsArray().Count(node => node!["live"]!.GetValue<bool>()) == 4);

        // A model trained on a worker, deployed twice: one variant with two instances, and a two-variant bandit.
        await S3Async(a.Http, HttpMethod.Put, $"/{Data}");
        await S3Async(a.Http, HttpMethod.Put, $"/{Data}/breast-cancer/train.csv", await File.ReadAllBytesAsync(Repository.Path("samples", "data", "breast_cancer.csv")));
        await a.CallAsync("CreateTrainingJob", Training("endpoint-model"));
        var trained = await a.WaitAsync("DescribeTrainingJob", new { TrainingJobName = "endpoint-model" }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(trained["TrainingJobStatus"]!.GetValue<string>() == "Completed", trained.ToJsonString());
        await a.CallAsync("CreateModel", new { ModelName = "endpoint-model", ExecutionRoleArn = SageMakerHttp.Role, PrimaryContainer = new { Image = "xgboost", ModelDataUrl = trained["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>() } });
        await a.CallAsync("CreateEndpointConfig", new
        {
            EndpointConfigName = "spread-config",
            ProductionVariants = new[] { new { VariantName = "main", ModelName = "endpoint-model", InitialInstanceCount = 2, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 } },
        });
        await a.CallAsync("CreateEndpointConfig", new
        {
            EndpointConfigName = "bandit-config",
            ProductionVariants = new[] { "good", "bad" }.Select(name => new { VariantName = name, ModelName = "endpoint-model", InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 }),
            Tags = new[] { new { Key = "kiln:routing", Value = "thompson-sampling" } },
        });
        await a.CallAsync("CreateEndpoint", new { EndpointName = "spread", EndpointConfigName = "spread-config" });
        await a.CallAsync("CreateEndpoint", new { EndpointName = "bandit", EndpointConfigName = "bandit-config" });
        foreach (var name in new[] { "spread", "bandit" })
        {
            var described = await a.WaitAsync("DescribeEndpoint", new { EndpointName = name }, "EndpointStatus", "Creating");
            Assert.True(described["EndpointStatus"]!.GetValue<string>() == "InService", described.ToJsonString());
        }

        var row = string.Join(',', File.ReadLines(Repository.Path("samples", "data", "breast_cancer.csv")).Skip(1).First().Split(',')[..^1]);

        // Both servers answer; the variant's two replicas run one on each worker, and both serve.
        for (var i = 0; i < 40; i++)
        {
            await a.InvokeAsync("spread", row);
            await b.InvokeAsync("spread", row);
        }

        var main = await MainVariantAsync(a.Http);
        var nodes = main["replicaNodes"]!.AsArray().Select(node => node!.GetValue<string>()).ToList();
        Assert.Equal(2, nodes.Count);
        Assert.Equal(workers.Select(worker => worker.SiloPort).Order(), nodes.Select(Port).Order());
        Assert.All(main["replicaInvocations"]!.AsArray(), count => Assert.True(count!.GetValue<long>() > 0, main.ToJsonString()));

        // The bandit: served by server A, rewarded through server B (which never saw those inferences).
        for (var i = 0; i < 300; i++)
        {
            var (variant, inferenceId, _) = await a.InvokeAsync("bandit", row);
            using var response = await b.Http.PostAsJsonAsync("api/kiln/endpoints/bandit/feedback", new { inference_id = inferenceId, reward = variant == "good" ? 1 : 0 });
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"reward {i} through server B failed ({(int)response.StatusCode}): {text}");
            var result = JsonNode.Parse(text)!.AsObject();
            Assert.True(result["accepted"]!.GetValue<int>() == 1, $"reward {i} through server B was not accepted: {text}");
        }

        // Server B routes with what the cluster learned, and shows the same counts and the learned weights.
        await Task.Delay(2500);
        var servedByB = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            servedByB.Add((await b.InvokeAsync("bandit", row)).Variant);
        }

        var goodShare = servedByB.Count(variant => variant == "good") / 200.0;
        Assert.True(goodShare >= 0.8, $"server B sent only {goodShare:P0} to the rewarded variant");
        var trafficB = await b.Http.GetFromJsonAsync<JsonObject>("api/kiln/endpoints/bandit/traffic");
        Assert.Equal(300, trafficB!["traffic"]!["variants"]!.AsArray().Sum(v => v!["rewardCount"]!.GetValue<double>()));
        var weights = (await b.CallAsync("DescribeEndpoint", new { EndpointName = "bandit" }))["ProductionVariants"]!.AsArray()
            .ToDictionary(v => v!["VariantName"]!.GetValue<string>(), v => v!["CurrentWeight"]!.GetValue<double>());
        Assert.True(weights["good"] > 0.6 && weights["good"] > weights["bad"], $"weights seen on server B: good {weights["good"]}, bad {weights["bad"]}");

        // One worker dies the hard way: every invocation still succeeds through the other replica.
        var doomed = workers.Single(worker => worker.SiloPort == Port(nodes[0]));
        var survivor = workers.Single(worker => worker != doomed);
        doomed.Kill();
        for (var i = 0; i < 60; i++)
        {
            await a.InvokeAsync("spread", row);
        }

        // Once the cluster declares it dead, its replica is placed again on the survivor and serves again.
        var before = (await MainVariantAsync(a.Http))["replicaInvocations"]!.AsArray().Select(count => count!.GetValue<long>()).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonObject replaced;
        while (true)
        {
            await a.InvokeAsync("spread", row);
            replaced = await MainVariantAsync(a.Http);
            if (replaced["replicaNodes"]!.AsArray().All(node => Port(node!.GetValue<string>()) == survivor.SiloPort))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the killed worker's replica was not placed again: {replaced.ToJsonString()}");
            await Task.Delay(500);
        }

        for (var i = 0; i < 20; i++)
        {
            await b.InvokeAsync("spread", row);
            await a.InvokeAsync("spread", row);
        }

        var after = (await MainVariantAsync(a.Http))["replicaInvocations"]!.AsArray().Select(count => count!.GetValue<long>()).ToList();
        Assert.True(after[0] > before[0] && after[1] > before[1], $"both replicas should serve again: before {string.Join(',', before)}, after {string.Join(',', after)}");
        Assert.Contains("is loaded on node", survivor.Output, StringComparison.Ordinal);
    }

    private static int Port(string node) => int.Parse(node[(node.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<JsonObject> MainVariantAsync(HttpClient http)
    {
        var traffic = await http.GetFromJsonAsync<JsonObject>("api/kiln/endpoints/spread/traffic");
        return traffic!["traffic"]!["variants"]!.AsArray().Single(v => v!["variantName"]!.GetValue<string>() == "main")!.AsObject();
    }

    private static JsonObject Training(string name) => new()
    {
        ["TrainingJobName"] = name,
        ["RoleArn"] = SageMakerHttp.Role,
        ["AlgorithmSpecification"] = new JsonObject { ["TrainingImage"] = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", ["TrainingInputMode"] = "File" },
        ["HyperParameters"] = new JsonObject { ["objective"] = "binary:logistic", ["num_round"] = "10", ["target_column"] = "diagnosis" },
        ["InputDataConfig"] = new JsonArray(new JsonObject
        {
            ["ChannelName"] = "train",
            ["ContentType"] = "text/csv;header=present",
            ["DataSource"] = new JsonObject { ["S3DataSource"] = new JsonObject { ["S3DataType"] = "S3Prefix", ["S3Uri"] = $"s3://{Data}/breast-cancer/" } },
        }),
        ["OutputDataConfig"] = new JsonObject { ["S3OutputPath"] = $"s3://{Data}/models" },
        ["ResourceConfig"] = new JsonObject { ["InstanceType"] = "ml.m5.large", ["InstanceCount"] = 1, ["VolumeSizeInGB"] = 1 },
        ["StoppingCondition"] = new JsonObject { ["MaxRuntimeInSeconds"] = 600 },
    };

    private async Task<JsonObject> WaitForAsync(HttpClient http, string path, Func<JsonObject, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonObject? report = null;
        while (DateTime.UtcNow < deadline)
        {
            report = JsonNode.Parse(await http.GetStringAsync(path))!.AsObject();
            if (condition(report))
            {
                return report;
            }

            await Task.Delay(250);
        }

        output.WriteLine(report?.ToJsonString() ?? "no report");
        throw new TimeoutException($"{path} did not reach the expected state: {report?.ToJsonString()}");
    }

    private static async Task S3Async(HttpClient http, HttpMethod method, string path, byte[]? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content is null ? null : new ByteArrayContent(content) };
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode || (method == HttpMethod.Put && response.StatusCode == System.Net.HttpStatusCode.Conflict), $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static Dictionary<string, string> Credentials() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretAccessKey,
        ["AWS_REGION"] = "us-east-1",
    };

    private T Track<T>(T process)
        where T : IDisposable
    {
        _processes.Add(process);
        return process;
    }

    private async Task<string?> CreateDatabaseAsync()
    {
        var value = Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(value))
        {
            output.WriteLine("KILN_TEST_POSTGRES is not set (.ci/run starts PostgreSQL and sets it): nothing to test here.");
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse(value)) { Timeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            output.WriteLine($"PostgreSQL at KILN_TEST_POSTGRES is unreachable ({e.Message}): nothing to test here.");
            return null;
        }

        _server = builder.ConnectionString;
        var credentials = Uri.EscapeDataString(builder.Username ?? "postgres") + (builder.Password is { Length: > 0 } password ? ":" + Uri.EscapeDataString(password) : "");
        return $"postgres://{credentials}@{builder.Host}:{builder.Port}/{_database}";
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        if (_server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(_server);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
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
