using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// An endpoint routed by Thompson sampling learns from reward feedback which variant earns more, shifts its
/// traffic there live, and keeps what it learned across a SIGKILL and restart.
/// </summary>
public sealed class BanditRoutingTests : IDisposable
{
    private const int Invocations = 20_000;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", "bandit-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Thompson_sampling_moves_traffic_to_the_better_variant_and_survives_a_restart()
    {
        // The variants' true reward rates: the simulation rewards an invocation with these probabilities.
        var rates = new Dictionary<string, double> { ["five"] = 0.05, ["seven"] = 0.07 };
        var row = string.Join(',', File.ReadLines(Repository.Path("samples", "data", "breast_cancer.csv")).Skip(1).First().Split(',')[..^1]);
        var served = new string[Invocations];
        long acceptedRewards = 0;
        double totalReward = 0;

        using (var first = await KilnProcess.StartAsync(_dataDirectory))
        using (var api = new SageMakerHttp(first.BaseAddress))
        {
            var artifacts = await api.TrainBreastCancerAsync("bandit-model", Path.Combine(_dataDirectory, "output"));
            await api.CallAsync("CreateModel", new { ModelName = "bandit-model", ExecutionRoleArn = SageMakerHttp.Role, PrimaryContainer = new { Image = "xgboost", ModelDataUrl = artifacts } });
            await api.CallAsync("CreateEndpointConfig", new
            {
                EndpointConfigName = "bandit-config",
                ProductionVariants = rates.Keys.Select(name => new { VariantName = name, ModelName = "bandit-model", InitialInstanceCount = 1, InstanceType = "ml.m5.large", InitialVariantWeight = 1.0 }),
                Tags = new[] { new { Key = "kiln:routing", Value = "thompson-sampling" } },
            });
            await api.CallAsync("CreateEndpoint", new { EndpointName = "bandit", EndpointConfigName = "bandit-config" });
            var created = await api.WaitAsync("DescribeEndpoint", new { EndpointName = "bandit" }, "EndpointStatus", "Creating");
            Assert.Equal("InService", created["EndpointStatus"]!.GetValue<string>());

            var next = -1;
            var rewardLock = new object();
            var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                var random = new Random(17 + worker);
                int i;
                while ((i = Interlocked.Increment(ref next)) < Invocations)
                {
                    var (variant, inferenceId, _) = await api.InvokeAsync("bandit", row);
                    served[i] = variant;
                    var reward = random.NextDouble() < rates[variant] ? 1 : 0;
                    using var response = await api.Http.PostAsJsonAsync("api/kiln/endpoints/bandit/feedback", new { inference_id = inferenceId, reward });
                    var result = await response.Content.ReadFromJsonAsync<JsonObject>();
                    Interlocked.Add(ref acceptedRewards, result!["accepted"]!.GetValue<int>());
                    lock (rewardLock)
                    {
                        totalReward += reward;
                    }
                }
            })).ToList();
            await Task.WhenAll(workers);

            Assert.Equal(Invocations, acceptedRewards);
            var recentBetter = served[^2000..].Count(variant => variant == "seven") / 2000.0;
            Assert.True(recentBetter >= 0.8, $"only {recentBetter:P1} of the last 2,000 requests went to the better variant");
            // What the bandit's choices were worth: the sum of the served variants' true rates, which leaves out the luck of
            // the reward draws (a spread of about ±35 on 20,000 draws) and judges only where it sent the traffic.
            var earned = served.Sum(variant => rates[variant]);
            Assert.True(earned > 0.06 * Invocations, $"the traffic the bandit routed earns {earned:F0} (drawn: {totalReward}), not more than a 50/50 split's {0.06 * Invocations}");

            // DescribeEndpoint shows the learned split as the variants' current weights.
            var described = await api.CallAsync("DescribeEndpoint", new { EndpointName = "bandit" });
            var weights = described["ProductionVariants"]!.AsArray().ToDictionary(v => v!["VariantName"]!.GetValue<string>(), v => v!["CurrentWeight"]!.GetValue<double>());
            Assert.True(weights["seven"] >= 0.8, $"DescribeEndpoint weights: {described["ProductionVariants"]!.ToJsonString()}");

            // The bandit's counts are saved every second; give it two, then kill the server the hard way.
            await Task.Delay(2500);
            first.Kill();
        }

        using var second = await KilnProcess.StartAsync(_dataDirectory);
        using var restarted = new SageMakerHttp(second.BaseAddress);
        var afterRestart = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            afterRestart.Add((await restarted.InvokeAsync("bandit", row)).Variant);
        }

        var share = afterRestart.Count(variant => variant == "seven") / 1000.0;
        Assert.True(share >= 0.8, $"after the restart only {share:P1} went to the better variant: the bandit forgot what it learned");
        var traffic = await restarted.Http.GetFromJsonAsync<JsonObject>("api/kiln/endpoints/bandit/traffic");
        var pulls = traffic!["traffic"]!["variants"]!.AsArray().Sum(v => v!["rewardCount"]!.GetValue<double>());
        Assert.Equal(Invocations, pulls);
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
}
