using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

public sealed class ConcurrencyTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Fact]
    public async Task Eight_clients_logging_to_one_run_lose_no_point()
    {
        var setup = server.Mlflow;
        var runId = await setup.CreateRunAsync(await setup.CreateExperimentAsync());
        const int Clients = 8, Batches = 40, PerBatch = 25, Singles = 20;

        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            using var api = new MlflowHttp(server.BaseAddress);
            for (var b = 0; b < Batches; b++)
            {
                var metrics = Enumerable.Range(0, PerBatch)
                    .Select(i => new { key = "shared", value = (double)client, timestamp = 1L, step = (long)((((client * Batches) + b) * PerBatch) + i) })
                    .ToArray();
                await api.OkAsync(api.PostAsync("runs/log-batch", new { run_id = runId, metrics, tags = new[] { new { key = $"client-{client}", value = b.ToString(System.Globalization.CultureInfo.InvariantCulture) } } }));
            }

            for (var s = 0; s < Singles; s++)
            {
                await api.OkAsync(api.PostAsync("runs/log-metric", new { run_id = runId, key = $"own-{client}", value = (double)s, timestamp = 2L, step = (long)s }));
            }
        })).ToList();
        await Task.WhenAll(clients);

        var shared = await setup.OkAsync(setup.GetAsync("metrics/get-history", ("run_id", runId), ("metric_key", "shared")));
        var steps = shared.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64()).Order().ToList();
        Assert.Equal(Enumerable.Range(0, Clients * Batches * PerBatch).Select(i => (long)i), steps);

        var run = (await setup.OkAsync(setup.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run");
        for (var client = 0; client < Clients; client++)
        {
            var own = await setup.OkAsync(setup.GetAsync("metrics/get-history", ("run_id", runId), ("metric_key", $"own-{client}")));
            Assert.Equal(Singles, own.GetProperty("metrics").GetArrayLength());
        }

        var latest = run.GetProperty("data").GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("key").GetString() == "shared");
        Assert.Equal((Clients * Batches * PerBatch) - 1, latest.GetProperty("step").GetInt64());
        Assert.Equal(Clients, run.GetProperty("data").GetProperty("tags").EnumerateArray().Count(t => t.GetProperty("key").GetString()!.StartsWith("client-", StringComparison.Ordinal)));
    }
}
