using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Postgres;
using Kiln.Storage.Tests.Artifacts;
using Kiln.Storage.Tests.Redis;
using Npgsql;
using Xunit.Abstractions;

namespace Kiln.Api.Tests.Cluster;

/// <summary>
/// Cluster mode on loopback, every node a real <c>kiln</c> process on one PostgreSQL database and one S3 bucket: a
/// server without job slots and two workers. Training, processing, tuning and a pipeline run on the workers; one
/// worker is SIGKILLed while it runs a job, which completes on the other as a new attempt; after every process is
/// restarted, each record and artifact is still there. Needs KILN_TEST_POSTGRES and an S3 server (.ci/run).
/// </summary>
public sealed class ClusterTests(S3TestBucket bucket, ITestOutputHelper output) : IClassFixture<S3TestBucket>, IDisposable
{
    private const string Data = "kiln-cluster-data";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-tests", "cluster-" + Guid.NewGuid().ToString("N"));
    private readonly string _database = "kiln_cluster_" + Guid.NewGuid().ToString("N");
    private readonly List<IDisposable> _processes = [];
    private string? _server;

    [S3Fact]
    public async Task Jobs_run_on_workers_survive_a_killed_worker_and_everything_is_there_after_a_restart()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var endpoint = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln", "--s3-endpoint", endpoint.ToString(), "--job-watchdog-seconds", "2"];
        var server = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        var workers = new[]
        {
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-a"), Credentials(), [.. shared, "--job-slots", "2"])),
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-b"), Credentials(), [.. shared, "--job-slots", "2"])),
        };
        using var sageMaker = new SageMakerHttp(server.BaseAddress);

        var cluster = await WaitForClusterAsync(sageMaker.Http, report => Live(report).Count == 3);
        var live = Live(cluster);
        Assert.Equal(["server", "worker", "worker"], live.Select(node => node["role"]!.GetValue<string>()).Order());
        Assert.Equal(0, live.Single(node => node["role"]!.GetValue<string>() == "server")["slots"]!.GetValue<int>());
        Assert.All(live.Where(node => node["role"]!.GetValue<string>() == "worker"), node => Assert.Equal(2, node["slots"]!.GetValue<int>()));

        await S3Async(sageMaker.Http, HttpMethod.Put, $"/{Data}");
        await S3Async(sageMaker.Http, HttpMethod.Put, $"/{Data}/breast-cancer/train.csv", await File.ReadAllBytesAsync(Repository.Path("samples", "data", "breast_cancer.csv")));

        // A processing job runs on a worker (the server has no slots); that worker is killed while the script runs.
        await sageMaker.CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = "cluster-processing",
            RoleArn = SageMakerHttp.Role,
            AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "bash", "-c", "sleep 8; echo processed > output/result.txt" } },
            ProcessingOutputConfig = new { Outputs = new[] { new { OutputName = "result", S3Output = new { S3Uri = $"s3://{Data}/processing", LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" } } } },
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.xlarge", VolumeSizeInGB = 1 } },
            StoppingCondition = new { MaxRuntimeInSeconds = 300 },
        });
        var busy = await WaitForClusterAsync(sageMaker.Http, report => Live(report).Any(node => node["slotsInUse"]?.GetValue<int>() == 1));
        var doomedAddress = Live(busy).Single(node => node["slotsInUse"]?.GetValue<int>() == 1)["address"]!.GetValue<string>();
        var doomed = workers.Single(worker => doomedAddress.EndsWith(":" + worker.SiloPort, StringComparison.Ordinal));
        var survivor = workers.Single(worker => worker != doomed);
        doomed.Kill();

        // Until Orleans declares the node dead (about ten seconds), calls whose grain directory entry it owned fail;
        // once it is, more work goes to the survivor while the killed job is retried there.
        await WaitForClusterAsync(sageMaker.Http, report => Nodes(report).Any(node => node["address"]!.GetValue<string>() == doomedAddress && node["status"]!.GetValue<string>() == "Dead"));
        await sageMaker.CallAsync("CreateTrainingJob", Training("cluster-training"));
        var tuningDefinition = Training(null);
        tuningDefinition.Remove("TrainingJobName");
        tuningDefinition.Remove("HyperParameters");
        tuningDefinition["StaticHyperParameters"] = new JsonObject { ["objective"] = "binary:logistic", ["num_round"] = "10", ["target_column"] = "diagnosis" };
        await sageMaker.CallAsync("CreateHyperParameterTuningJob", new JsonObject
        {
            ["HyperParameterTuningJobName"] = "cluster-tuning",
            ["HyperParameterTuningJobConfig"] = JsonNode.Parse("""
                {"Strategy": "Grid", "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "train:logloss"},
                 "ResourceLimits": {"MaxParallelTrainingJobs": 2},
                 "ParameterRanges": {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "3", "MaxValue": "4"}]}}
                """),
            ["TrainingJobDefinition"] = tuningDefinition,
        });
        var step = Training(null);
        step.Remove("TrainingJobName");
        var pipeline = new JsonObject { ["Version"] = "2020-12-01", ["Parameters"] = new JsonArray(), ["Steps"] = new JsonArray(new JsonObject { ["Name"] = "Fit", ["Type"] = "Training", ["Arguments"] = step }) };
        await sageMaker.CallAsync("CreatePipeline", new { PipelineName = "cluster-pipeline", PipelineDefinition = pipeline.ToJsonString(), RoleArn = SageMakerHttp.Role, ClientRequestToken = Guid.NewGuid().ToString() });
        var execution = (await sageMaker.CallAsync("StartPipelineExecution", new { PipelineName = "cluster-pipeline", ClientRequestToken = Guid.NewGuid().ToString() }))["PipelineExecutionArn"]!.GetValue<string>();

        await AssertAllCompletedAsync(sageMaker, execution);
        var afterKill = await WaitForClusterAsync(sageMaker.Http, report => Nodes(report).Any(node => node["address"]!.GetValue<string>() == doomedAddress && !node["live"]!.GetValue<bool>()));
        Assert.Equal("Dead", Nodes(afterKill).First(node => node["address"]!.GetValue<string>() == doomedAddress)["status"]!.GetValue<string>());
        Assert.Equal(2, Live(afterKill).Count);
        Assert.Contains(survivor.Output.Split('\n'), line => line.Contains("Resuming processing job cluster-processing", StringComparison.Ordinal));

        // Every process stopped (the hard way) and started again, on fresh data folders: everything is still there.
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _processes.Clear();
        var restarted = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server-2"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-c"), Credentials(), [.. shared, "--job-slots", "2"]));
        using var again = new SageMakerHttp(restarted.BaseAddress);
        await AssertAllCompletedAsync(again, execution);
        var processed = await S3Async(again.Http, HttpMethod.Get, $"/{Data}/processing/result.txt");
        Assert.Equal("processed\n", Encoding.UTF8.GetString(processed));
        var model = (await again.CallAsync("DescribeTrainingJob", new { TrainingJobName = "cluster-training" }))["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>();
        var modelUri = new Uri(model);
        Assert.NotEmpty(await S3Async(again.Http, HttpMethod.Get, $"/{modelUri.Host}{modelUri.AbsolutePath}"));
    }

    [S3Fact]
    public async Task Two_servers_on_one_redis_online_store_share_feature_records()
    {
        if (RedisServer.SkipReason is { } skip)
        {
            output.WriteLine(skip);
            return;
        }

        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        using var redis = RedisServer.Start();
        var endpoint = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln", "--s3-endpoint", endpoint.ToString(), "--online-store", redis.Url];
        var first = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server-a"), Credentials(), null, shared));
        var second = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server-b"), Credentials(), null, shared));

        await Infrastructure.Boto3.RunAsync(first.BaseAddress, "sagemaker_feature_store.py", "test_two_nodes_share_records", null, second.BaseAddress.ToString());
    }

    [S3Fact]
    public async Task A_node_of_another_version_refuses_to_join_and_says_why()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var endpoint = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln-versions", "--s3-endpoint", endpoint.ToString()];
        var server = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        using var sageMaker = new SageMakerHttp(server.BaseAddress);
        await WaitForClusterAsync(sageMaker.Http, report => Live(report).Count == 1);

        // The live server node claims an older version, as a node not yet upgraded would.
        await using (var connection = new NpgsqlConnection(PostgresConnectionString.Parse(store)))
        {
            await connection.OpenAsync();
            await using var rename = new NpgsqlCommand("UPDATE OrleansMembershipTable SET SiloName = 'server/0.0.1-old/' || HostName WHERE Status = 3", connection);
            Assert.Equal(1, await rename.ExecuteNonQueryAsync());
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => KilnWorker.StartAsync(Path.Combine(_root, "worker"), Credentials(), [.. shared, "--job-slots", "1"]));
        output.WriteLine(refused.Message);
        Assert.Contains("refusing to join the cluster: the server node at 127.0.0.1:", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"runs Kiln 0.0.1-old and this node runs Kiln {Kiln.Jobs.KilnVersion.Current}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("stop all nodes, upgrade them, then start them again", refused.Message, StringComparison.Ordinal);

        // It never joined: the membership table has no worker row.
        await using (var connection = new NpgsqlConnection(PostgresConnectionString.Parse(store)))
        {
            await connection.OpenAsync();
            await using var workers = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE SiloName LIKE 'worker/%'", connection);
            Assert.Equal(0L, (long)(await workers.ExecuteScalarAsync())!);
        }
    }

    [S3Fact]
    public async Task A_script_orphaned_by_a_killed_worker_is_killed_when_the_worker_comes_back()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var endpoint = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln-orphans", "--s3-endpoint", endpoint.ToString(), "--job-watchdog-seconds", "600"];
        var server = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        var workerData = Path.Combine(_root, "worker");
        var worker = Track(await KilnWorker.StartAsync(workerData, Credentials(), [.. shared, "--job-slots", "1"]));
        using var sageMaker = new SageMakerHttp(server.BaseAddress);
        await WaitForClusterAsync(sageMaker.Http, report => Live(report).Count == 2);

        var pidFile = Path.Combine(_root, "orphan.pid");
        await sageMaker.CallAsync("CreateProcessingJob", new
        {
            ProcessingJobName = "orphan",
            RoleArn = SageMakerHttp.Role,
            AppSpecification = new { ImageUri = "kiln/script", ContainerEntrypoint = new[] { "bash", "-c", $"echo $$ > {pidFile}; exec sleep 120" } },
            ProcessingResources = new { ClusterConfig = new { InstanceCount = 1, InstanceType = "ml.m5.xlarge", VolumeSizeInGB = 1 } },
            StoppingCondition = new { MaxRuntimeInSeconds = 300 },
        });
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!File.Exists(pidFile) || (await File.ReadAllTextAsync(pidFile)).Trim().Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job's script did not start");
            await Task.Delay(200);
        }

        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);
        worker.Kill();
        await Task.Delay(1000);
        Assert.True(IsRunning(pid), "the script should outlive its SIGKILLed worker as an orphan");

        // The worker comes back on the same data folder: its reaper kills what its previous life left running.
        Track(await KilnWorker.StartAsync(workerData, Credentials(), [.. shared, "--job-slots", "1"]));
        for (deadline = DateTime.UtcNow.AddSeconds(30); IsRunning(pid) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
        }

        Assert.False(IsRunning(pid), $"the orphaned script (pid {pid}) is still running after the worker came back");
        await sageMaker.CallAsync("StopProcessingJob", new { ProcessingJobName = "orphan" });
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Split(") ", 2)[1].StartsWith('Z');
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A two-host torch.distributed (gloo) job on two workers: algo-1 runs where the job is placed, algo-2 on the other
    /// worker (the server has no slots), both join one process group, and both hosts' lines are in the job's logs.
    /// </summary>
    [ClusterTorchFact]
    public async Task A_pytorch_gloo_job_trains_across_two_workers_with_both_hosts_logs()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var endpoint = await S3TestServer.EndpointAsync();
        string[] shared = ["--store", store, "--artifacts", $"s3://{bucket.Name}/kiln", "--s3-endpoint", endpoint.ToString()];
        var server = Track(await KilnProcess.StartAsync(Path.Combine(_root, "server"), Credentials(), null, [.. shared, "--job-slots", "0"]));
        var workers = new[]
        {
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-a"), Credentials(), [.. shared, "--job-slots", "1"])),
            Track(await KilnWorker.StartAsync(Path.Combine(_root, "worker-b"), Credentials(), [.. shared, "--job-slots", "1"])),
        };
        using var sageMaker = new SageMakerHttp(server.BaseAddress);
        await WaitForClusterAsync(sageMaker.Http, report => Live(report).Count == 3);

        await S3Async(sageMaker.Http, HttpMethod.Put, $"/{Data}");
        await S3Async(sageMaker.Http, HttpMethod.Put, $"/{Data}/ddp/train/train.csv", await File.ReadAllBytesAsync(Repository.Path("samples", "data", "breast_cancer.csv")));
        await S3Async(sageMaker.Http, HttpMethod.Put, $"/{Data}/ddp/code/train.py", await File.ReadAllBytesAsync(Repository.Path("samples", "scripts", "pytorch-ddp", "train.py")));
        JsonObject Channel(string name, string prefix) => new()
        {
            ["ChannelName"] = name,
            ["DataSource"] = new JsonObject { ["S3DataSource"] = new JsonObject { ["S3DataType"] = "S3Prefix", ["S3Uri"] = $"s3://{Data}/{prefix}/" } },
        };
        await sageMaker.CallAsync("CreateTrainingJob", new JsonObject
        {
            ["TrainingJobName"] = "cluster-ddp",
            ["RoleArn"] = SageMakerHttp.Role,
            ["AlgorithmSpecification"] = new JsonObject
            {
                ["TrainingImage"] = "kiln/script",
                ["TrainingInputMode"] = "File",
                ["ContainerEntrypoint"] = new JsonArray("/usr/bin/python3", "train.py"),
            },
            ["HyperParameters"] = new JsonObject { ["epochs"] = "30" },
            ["InputDataConfig"] = new JsonArray(Channel("train", "ddp/train"), Channel("code", "ddp/code")),
            ["OutputDataConfig"] = new JsonObject { ["S3OutputPath"] = $"s3://{Data}/models" },
            ["ResourceConfig"] = new JsonObject { ["InstanceType"] = "ml.m5.large", ["InstanceCount"] = 2, ["VolumeSizeInGB"] = 1 },
            ["StoppingCondition"] = new JsonObject { ["MaxRuntimeInSeconds"] = 600 },
        });
        var job = await sageMaker.WaitAsync("DescribeTrainingJob", new { TrainingJobName = "cluster-ddp" }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(job["TrainingJobStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());

        // The job's logs are on the worker that ran algo-1: its own log and algo-2's, whose lines came from the other worker.
        var logs = workers.Select(worker => (Worker: worker, Folder: Path.Combine(worker.DataDirectory, "jobs", "training", "cluster-ddp")))
            .Single(pair => File.Exists(Path.Combine(pair.Folder, "log.txt")));
        var other = workers.Single(worker => worker != logs.Worker);
        var algo1 = await File.ReadAllLinesAsync(Path.Combine(logs.Folder, "log.txt"));
        var algo2 = await File.ReadAllLinesAsync(Path.Combine(logs.Folder, "log-algo-2.txt"));
        Assert.Contains(algo1, line => line.StartsWith("algo-1: rank 0 of 2 joined", StringComparison.Ordinal));
        Assert.Contains(algo2, line => line.StartsWith("algo-2: rank 1 of 2 joined", StringComparison.Ordinal));
        Assert.Contains(algo2, line => line.StartsWith("Kiln: algo-2 runs on node ", StringComparison.Ordinal) && line.Contains($":{other.SiloPort} ", StringComparison.Ordinal));
        Assert.Contains(algo2, line => line.StartsWith("algo-2 train-accuracy: ", StringComparison.Ordinal));
        // algo-2 ran in the other worker's own workspace.
        Assert.True(Directory.Exists(Path.Combine(other.DataDirectory, "jobs", "training", "cluster-ddp", "attempt-1", "algo-2", "opt", "ml")));
        var model = new Uri(job["ModelArtifacts"]!["S3ModelArtifacts"]!.GetValue<string>());
        Assert.NotEmpty(await S3Async(sageMaker.Http, HttpMethod.Get, $"/{model.Host}{model.AbsolutePath}"));

        // The server ran neither host, yet CloudWatch Logs on it has both hosts' streams (copied to the shared store as they grew).
        var streams = await HostStreamsAsync(sageMaker, "cluster-ddp");
        Assert.Equal(["algo-1", "algo-2"], streams.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(streams["algo-1"], line => line.StartsWith("algo-1: rank 0 of 2 joined", StringComparison.Ordinal));
        Assert.Contains(streams["algo-2"], line => line.StartsWith("algo-2 train-accuracy: ", StringComparison.Ordinal));
        Assert.Equal(algo2.Length, streams["algo-2"].Count);
        Assert.False(File.Exists(Path.Combine(_root, "server", "jobs", "training", "cluster-ddp", "log.txt")));
    }

    /// <summary>Each host's log lines of a training job, as the server's CloudWatch Logs API serves them (waits for the last copy to land).</summary>
    private static async Task<Dictionary<string, List<string>>> HostStreamsAsync(SageMakerHttp api, string job)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var described = await api.CallLogsAsync("DescribeLogStreams", new { logGroupName = "/aws/sagemaker/TrainingJobs", logStreamNamePrefix = job + "/" });
            var streams = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var name in described["logStreams"]!.AsArray().Select(stream => stream!["logStreamName"]!.GetValue<string>()))
            {
                var events = await api.CallLogsAsync("GetLogEvents", new { logGroupName = "/aws/sagemaker/TrainingJobs", logStreamName = name, startFromHead = true, limit = 10000 });
                var host = name[(job.Length + 1)..name.LastIndexOf('-')];
                streams[host] = [.. events["events"]!.AsArray().Select(e => e!["message"]!.GetValue<string>())];
            }

            if ((streams.Count == 2 && streams["algo-2"].Any(line => line.StartsWith("algo-2 train-accuracy: ", StringComparison.Ordinal))) || DateTime.UtcNow > deadline)
            {
                return streams;
            }

            await Task.Delay(500);
        }
    }

    private static async Task AssertAllCompletedAsync(SageMakerHttp sageMaker, string execution)
    {
        var processing = await sageMaker.WaitAsync("DescribeProcessingJob", new { ProcessingJobName = "cluster-processing" }, "ProcessingJobStatus", "InProgress", "Stopping");
        Assert.True(processing["ProcessingJobStatus"]!.GetValue<string>() == "Completed", processing.ToJsonString());
        var training = await sageMaker.WaitAsync("DescribeTrainingJob", new { TrainingJobName = "cluster-training" }, "TrainingJobStatus", "InProgress", "Stopping");
        Assert.True(training["TrainingJobStatus"]!.GetValue<string>() == "Completed", training.ToJsonString());
        var tuning = await sageMaker.WaitAsync("DescribeHyperParameterTuningJob", new { HyperParameterTuningJobName = "cluster-tuning" }, "HyperParameterTuningJobStatus", "InProgress", "Stopping");
        Assert.True(tuning["HyperParameterTuningJobStatus"]!.GetValue<string>() == "Completed", tuning.ToJsonString());
        Assert.Equal(2, tuning["TrainingJobStatusCounters"]!["Completed"]!.GetValue<int>());
        var run = await sageMaker.WaitAsync("DescribePipelineExecution", new { PipelineExecutionArn = execution }, "PipelineExecutionStatus", "Executing", "Stopping");
        Assert.True(run["PipelineExecutionStatus"]!.GetValue<string>() == "Succeeded", run.ToJsonString());
    }

    private static JsonObject Training(string? name) => new()
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

    private static List<JsonObject> Nodes(JsonObject report) => report["nodes"]!.AsArray().Select(node => node!.AsObject()).ToList();

    private static List<JsonObject> Live(JsonObject report) => Nodes(report).Where(node => node["live"]!.GetValue<bool>()).ToList();

    private async Task<JsonObject> WaitForClusterAsync(HttpClient http, Func<JsonObject, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonObject? report = null;
        while (DateTime.UtcNow < deadline)
        {
            report = JsonNode.Parse(await http.GetStringAsync("api/kiln/cluster"))!.AsObject();
            if (condition(report))
            {
                return report;
            }

            await Task.Delay(250);
        }

        output.WriteLine(report?.ToJsonString() ?? "no report");
        throw new TimeoutException("the cluster did not reach the expected state: " + report?.ToJsonString());
    }

    private static async Task<byte[]> S3Async(HttpClient http, HttpMethod method, string path, byte[]? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content is null ? null : new ByteArrayContent(content) };
        // Kiln tells S3 requests from its other APIs by their SigV4 header (not verified without --auth).
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode || (method == HttpMethod.Put && response.StatusCode == HttpStatusCode.Conflict), $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
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

/// <summary>Needs the S3 server and Debian's PyTorch; PostgreSQL is checked by the test itself.</summary>
public sealed class ClusterTorchFactAttribute : FactAttribute
{
    public ClusterTorchFactAttribute() => Skip = S3TestServer.SkipReason ?? TorchFactAttribute.SkipReason;
}
