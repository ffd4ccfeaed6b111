using System.Collections.Concurrent;
using System.Net;
using Kiln.Api.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Kiln.Api.Tests.MLflow;

/// <summary>What the server acknowledged survives a SIGKILL in the middle of a stream of writes.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", "durability-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Every_acknowledged_metric_point_survives_sigkill_and_the_database_is_intact()
    {
        string runId;
        var acknowledged = new ConcurrentBag<int>();
        const int PointsPerBatch = 100;

        using (var first = await KilnProcess.StartAsync(_dataDirectory))
        {
            using var api = new MlflowHttp(first.BaseAddress);
            runId = await api.CreateRunAsync(await api.CreateExperimentAsync("durability"));

            // Four writers stream log-batch requests; each batch covers its own range of steps.
            var next = -1;
            using var killed = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!killed.IsCancellationRequested)
                {
                    var batch = Interlocked.Increment(ref next);
                    var metrics = Enumerable.Range(0, PointsPerBatch)
                        .Select(i => new { key = "loss", value = 1.0 / (1 + (batch * PointsPerBatch) + i), timestamp = 1_000L + batch, step = (long)((batch * PointsPerBatch) + i) })
                        .ToArray();
                    try
                    {
                        var response = await api.PostAsync("runs/log-batch", new { run_id = runId, metrics });
                        if (response.Status == HttpStatusCode.OK)
                        {
                            acknowledged.Add(batch);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                }
            })).ToList();

            while (acknowledged.Count < 150)
            {
                await Task.Delay(5);
            }

            first.Kill();
            await killed.CancelAsync();
            await Task.WhenAll(writers);
        }

        using var second = await KilnProcess.StartAsync(_dataDirectory);
        using var restarted = new MlflowHttp(second.BaseAddress);
        var history = await restarted.OkAsync(restarted.GetAsync("metrics/get-history", ("run_id", runId), ("metric_key", "loss")));
        var steps = history.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64()).ToHashSet();

        foreach (var batch in acknowledged)
        {
            for (var i = 0; i < PointsPerBatch; i++)
            {
                Assert.Contains((long)((batch * PointsPerBatch) + i), steps);
            }
        }

        // Batches are all-or-nothing: a batch in flight at the kill is either whole or absent.
        foreach (var group in steps.GroupBy(step => step / PointsPerBatch))
        {
            Assert.Equal(PointsPerBatch, group.Count());
        }

        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDirectory, "kiln.db")};Mode=ReadOnly");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", check.ExecuteScalar());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
