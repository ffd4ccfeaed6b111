// Tracking benchmark client: replays the request sequences of the MLflow server baseline against a
// running Kiln server, from this separate process, over keep-alive HTTP like MLflow's own client.
// Usage: dotnet run -c Release -- http://127.0.0.1:5000 [repetitions]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

var baseUrl = new Uri((args.Length > 0 ? args[0] : "http://127.0.0.1:5000").TrimEnd('/') + "/api/2.0/mlflow/");
var repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = baseUrl };

// Seconds the MLflow 2.17.2 server on SQLite takes on a 2-core machine (from the issue).
var baselines = new Dictionary<string, double>
{
    ["10,000 metric points via 10 x log-batch(1000)"] = 1.8,
    ["1,000 single log-metric calls"] = 12,
    ["1,000 runs created with one log-batch each"] = 40,
    ["one search over 1,001 runs"] = 0.78,
};

var results = new Dictionary<string, List<double>>();
foreach (var name in baselines.Keys)
{
    results[name] = [];
}

for (var repetition = 0; repetition < repetitions + 1; repetition++)
{
    var warmup = repetition == 0;
    var experimentId = await CreateExperimentAsync($"bench-{Guid.NewGuid():N}");
    var runId = await CreateRunAsync(experimentId);

    var batches = await TimeAsync(async () =>
    {
        for (var b = 0; b < 10; b++)
        {
            var metrics = Enumerable.Range(0, 1000).Select(i => new { key = $"m{i % 10}", value = i * 0.001, timestamp = 1_700_000_000_000L + i, step = (long)((b * 1000) + i) }).ToArray();
            await PostAsync("runs/log-batch", new { run_id = runId, metrics });
        }
    });

    var singles = await TimeAsync(async () =>
    {
        for (var i = 0; i < 1000; i++)
        {
            await PostAsync("runs/log-metric", new { run_id = runId, key = "single", value = i * 0.5, timestamp = 1_700_000_000_000L + i, step = (long)i });
        }
    });

    var searchExperiment = await CreateExperimentAsync($"bench-runs-{Guid.NewGuid():N}");
    var created = await TimeAsync(async () =>
    {
        for (var r = 0; r < 1000; r++)
        {
            var id = await CreateRunAsync(searchExperiment);
            await PostAsync("runs/log-batch", new
            {
                run_id = id,
                metrics = Enumerable.Range(0, 5).Select(i => new { key = $"metric_{i}", value = (r * 0.001) + i, timestamp = 1_700_000_000_000L, step = 0L }).ToArray(),
                @params = Enumerable.Range(0, 5).Select(i => new { key = $"param_{i}", value = $"{r % (i + 2)}" }).ToArray(),
                tags = new[] { new { key = "bench", value = "yes" } },
            });
        }
    });
    await CreateRunAsync(searchExperiment);

    // A single request is at the mercy of the JIT's warm-up; the median of five is the steady state.
    var searches = new List<double>();
    for (var s = 0; s < 5; s++)
    {
        searches.Add(await TimeAsync(async () =>
        {
            var found = await PostAsync("runs/search", new { experiment_ids = new[] { searchExperiment }, max_results = 1000 });
            if (found.GetProperty("runs").GetArrayLength() != 1000)
            {
                throw new InvalidOperationException("search did not return 1000 runs");
            }
        }));
    }

    var search = searches.Order().ElementAt(searches.Count / 2);

    if (!warmup)
    {
        results["10,000 metric points via 10 x log-batch(1000)"].Add(batches);
        results["1,000 single log-metric calls"].Add(singles);
        results["1,000 runs created with one log-batch each"].Add(created);
        results["one search over 1,001 runs"].Add(search);
    }
}

Console.WriteLine($"| scenario | MLflow 2.17.2 (s) | Kiln median of {repetitions} (s) | Kiln faster by |");
Console.WriteLine("|---|---:|---:|---:|");
var report = new List<object>();
foreach (var (name, baseline) in baselines)
{
    var median = results[name].Order().ElementAt(results[name].Count / 2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {baseline:F2} | {median:F3} | {baseline / median:F0}x |"));
    report.Add(new { scenario = name, mlflow_seconds = baseline, kiln_seconds = median, all_kiln_seconds = results[name], speedup = baseline / median });
}

Directory.CreateDirectory("bench/results");
await File.WriteAllTextAsync("bench/results/tracking.json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
return 0;

async Task<double> TimeAsync(Func<Task> work)
{
    var clock = Stopwatch.StartNew();
    await work();
    return clock.Elapsed.TotalSeconds;
}

async Task<JsonElement> PostAsync(string path, object body)
{
    using var response = await http.PostAsJsonAsync(path, body);
    var json = await response.Content.ReadFromJsonAsync<JsonElement>();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {json}");
    }

    return json;
}

async Task<string> CreateExperimentAsync(string name) =>
    (await PostAsync("experiments/create", new { name })).GetProperty("experiment_id").GetString()!;

async Task<string> CreateRunAsync(string experimentId) =>
    (await PostAsync("runs/create", new { experiment_id = experimentId, start_time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }))
        .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
