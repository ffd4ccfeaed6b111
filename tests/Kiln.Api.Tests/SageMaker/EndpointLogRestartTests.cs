using System.Text.Json.Nodes;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>An endpoint's log group outlives its server process: a restart keeps the old replica's stream and adds the reloaded replica's.</summary>
public sealed class EndpointLogRestartTests : IDisposable
{
    private const string Group = "/aws/sagemaker/Endpoints/logs-restart";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", "endpoint-logs-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Endpoint_logs_survive_a_killed_server_and_the_reloaded_replica_gets_a_new_stream()
    {
        var row = string.Join(',', File.ReadLines(Repository.Path("samples", "data", "breast_cancer.csv")).Skip(1).First().Split(',')[..^1]);
        string first;
        using (var server = await KilnProcess.StartAsync(_dataDirectory))
        using (var api = new SageMakerHttp(server.BaseAddress))
        {
            var artifacts = await api.TrainBreastCancerAsync("logs-restart-model", Path.Combine(_dataDirectory, "output"));
            await api.CallAsync("CreateModel", new { ModelName = "logs-restart-model", ExecutionRoleArn = SageMakerHttp.Role, PrimaryContainer = new { Image = "xgboost", ModelDataUrl = artifacts } });
            await api.CallAsync("CreateEndpointConfig", new
            {
                EndpointConfigName = "logs-restart",
                ProductionVariants = new[] { new { VariantName = "AllTraffic", ModelName = "logs-restart-model", InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 } },
            });
            await api.CallAsync("CreateEndpoint", new { EndpointName = "logs-restart", EndpointConfigName = "logs-restart" });
            var created = await api.WaitAsync("DescribeEndpoint", new { EndpointName = "logs-restart" }, "EndpointStatus", "Creating");
            Assert.Equal("InService", created["EndpointStatus"]!.GetValue<string>());
            first = Assert.Single(await StreamsWithReadyLineAsync(api, 1));
        }

        using var restarted = await KilnProcess.StartAsync(_dataDirectory);
        using var again = new SageMakerHttp(restarted.BaseAddress);
        var kept = await LogsAsync(again, "GetLogEvents", new { logGroupName = Group, logStreamName = first, startFromHead = true });
        Assert.Contains(kept["events"]!.AsArray(), e => e!["message"]!.GetValue<string>().EndsWith($"replica {first} is ready", StringComparison.Ordinal));

        // The first request after the restart loads the endpoint again: a new replica, a new stream beside the old one.
        await again.InvokeAsync("logs-restart", row);
        var streams = await StreamsWithReadyLineAsync(again, 2);
        Assert.Equal(2, streams.Count);
        Assert.Contains(first, streams);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The group's streams once <paramref name="wanted"/> of them say their replica is ready (lines are written off the request path).</summary>
    private static async Task<List<string>> StreamsWithReadyLineAsync(SageMakerHttp api, int wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var described = await LogsAsync(api, "DescribeLogStreams", new { logGroupName = Group });
            var streams = described["logStreams"]!.AsArray().Select(s => s!["logStreamName"]!.GetValue<string>()).ToList();
            var ready = 0;
            foreach (var stream in streams)
            {
                var events = await LogsAsync(api, "GetLogEvents", new { logGroupName = Group, logStreamName = stream, startFromHead = true });
                ready += events["events"]!.AsArray().Any(e => e!["message"]!.GetValue<string>().EndsWith("is ready", StringComparison.Ordinal)) ? 1 : 0;
            }

            if (ready >= wanted || DateTime.UtcNow > deadline)
            {
                return streams;
            }

            await Task.Delay(200);
        }
    }

    private static Task<JsonObject> LogsAsync(SageMakerHttp api, string operation, object body) => api.CallLogsAsync(operation, body);
}
