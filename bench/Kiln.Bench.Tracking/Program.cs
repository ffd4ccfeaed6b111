// Tracking benchmark client: the same MLflow REST workload against several servers (Kiln and a real MLflow
// server), from this separate process, sequentially over one keep-alive connection per server, as MLflow's own
// client does. The servers take turns within each repetition (the order alternates), the first repetition is a
// discarded warm-up, and each scenario reports its median over the rest and its ratio to the first server.
// Usage: Kiln.Bench.Tracking <repetitions> <count> <out.json> name=url [name=url ...]; a URL with user:secret@ sends
// them as HTTP basic auth on every request (a Kiln server started with --auth).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

var repetitions = int.Parse(args[0], CultureInfo.InvariantCulture);
var count = int.Parse(args[1], CultureInfo.InvariantCulture);
var output = args[2];
var servers = args.Skip(3).Select(arg => arg.Split('=', 2)).Select(parts => (Name: parts[0], Url: parts[1].TrimEnd('/'))).ToList();
var clients = servers.ToDictionary(server => server.Name, server => Client(server.Url));

string[] scenarios =
[
    "10,000 metric points via 10 x log-batch(1000)",
    $"{count:N0} single log-metric calls",
    $"{count:N0} runs created with one log-batch each",
    $"search over {count:N0}+1 runs (median of 5)",
    $"{count:N0} get-run calls",
];
var results = servers.ToDictionary(server => server.Name, _ => scenarios.Select(_ => new List<double>()).ToArray());

for (var repetition = 0; repetition <= repetitions; repetition++)
{
    var order = repetition % 2 == 0 ? servers : Enumerable.Reverse(servers).ToList();
    foreach (var (name, _) in order)
    {
        var times = await WorkloadAsync(clients[name]);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"repetition {repetition}{(repetition == 0 ? " (warm-up)" : "")} {name}: {string.Join(' ', times.Select(t => t.ToString("F3", CultureInfo.InvariantCulture)))}"));
        if (repetition > 0)
        {
            for (var i = 0; i < times.Length; i++)
            {
                results[name][i].Add(times[i]);
            }
        }
    }
}

var names = servers.Select(server => server.Name).ToList();
var first = names[0];
Console.WriteLine($"| scenario (raw HTTP) | {string.Join(" | ", names.Select(n => $"{n} median of {repetitions} (s)"))} | {string.Join(" | ", names.Skip(1).Select(n => $"{n} / {first}"))} |");
Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", (2 * names.Count) - 1)));
var report = new List<object>();
for (var i = 0; i < scenarios.Length; i++)
{
    var medians = names.ToDictionary(n => n, n => Median(results[n][i]));
    var cells = string.Join(" | ", names.Select(n => medians[n].ToString("F3", CultureInfo.InvariantCulture)));
    var ratios = string.Join(" | ", names.Skip(1).Select(n => (medians[n] / medians[first]).ToString("F1", CultureInfo.InvariantCulture) + "x"));
    Console.WriteLine($"| {scenarios[i]} | {cells} | {ratios} |");
    report.Add(new { scenario = scenarios[i], median_seconds = medians, all_seconds = names.ToDictionary(n => n, n => results[n][i]) });
}

await File.WriteAllTextAsync(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
return 0;

static HttpClient Client(string url)
{
    var uri = new Uri(url);
    var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 })
    {
        BaseAddress = new Uri(uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/') + "/api/2.0/mlflow/"),
    };
    if (uri.UserInfo.Length > 0)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
    }

    return client;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

async Task<double[]> WorkloadAsync(HttpClient http)
{
    var experimentId = await CreateExperimentAsync(http, $"bench-{Guid.NewGuid():N}");
    var runId = await CreateRunAsync(http, experimentId);

    var batches = await TimeAsync(async () =>
    {
        for (var b = 0; b < 10; b++)
        {
            var metrics = Enumerable.Range(0, 1000).Select(i => new { key = $"m{i % 10}", value = i * 0.001, timestamp = 1_700_000_000_000L + i, step = (long)((b * 1000) + i) }).ToArray();
            await PostAsync(http, "runs/log-batch", new { run_id = runId, metrics });
        }
    });

    var singles = await TimeAsync(async () =>
    {
        for (var i = 0; i < count; i++)
        {
            await PostAsync(http, "runs/log-metric", new { run_id = runId, key = "single", value = i * 0.5, timestamp = 1_700_000_000_000L + i, step = (long)i });
        }
    });

    var searchExperiment = await CreateExperimentAsync(http, $"bench-runs-{Guid.NewGuid():N}");
    var created = new List<string>();
    var creating = await TimeAsync(async () =>
    {
        for (var r = 0; r < count; r++)
        {
            var id = await CreateRunAsync(http, searchExperiment);
            created.Add(id);
            await PostAsync(http, "runs/log-batch", new
            {
                run_id = id,
                metrics = Enumerable.Range(0, 5).Select(i => new { key = $"metric_{i}", value = (r * 0.001) + i, timestamp = 1_700_000_000_000L, step = 0L }).ToArray(),
                @params = Enumerable.Range(0, 5).Select(i => new { key = $"param_{i}", value = $"{r % (i + 2)}" }).ToArray(),
                tags = new[] { new { key = "bench", value = "yes" } },
            });
        }
    });
    await CreateRunAsync(http, searchExperiment);

    // A single request is at the mercy of a warm-up (JIT, caches); the median of five is the steady state.
    var searches = new List<double>();
    for (var s = 0; s < 5; s++)
    {
        searches.Add(await TimeAsync(async () =>
        {
            var found = await PostAsync(http, "runs/search", new { experiment_ids = new[] { searchExperiment }, max_results = count });
            if (found.GetProperty("runs").GetArrayLength() != count)
            {
                throw new InvalidOperationException($"search did not return {count} runs");
            }
        }));
    }

    var gets = await TimeAsync(async () =>
    {
        for (var i = 0; i < count; i++)
        {
            var run = await GetAsync(http, $"runs/get?run_id={created[i]}");
            if (run.GetProperty("run").GetProperty("data").GetProperty("params").GetArrayLength() != 5)
            {
                throw new InvalidOperationException("get-run did not return the run's five params");
            }
        }
    });

    return [batches, singles, creating, Median(searches), gets];
}

static async Task<double> TimeAsync(Func<Task> work)
{
    var clock = Stopwatch.StartNew();
    await work();
    return clock.Elapsed.TotalSeconds;
}

static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
{
    using var response = await http.PostAsJsonAsync(path, body);
    return await ReadAsync(response, path);
}

static async Task<JsonElement> GetAsync(HttpClient http, string path)
{
    using var response = await http.GetAsync(path);
    return await ReadAsync(response, path);
}

static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string path)
{
    var json = await response.Content.ReadFromJsonAsync<JsonElement>();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {json}");
    }

    return json;
}

static async Task<string> CreateExperimentAsync(HttpClient http, string name) =>
    (await PostAsync(http, "experiments/create", new { name })).GetProperty("experiment_id").GetString()!;

static async Task<string> CreateRunAsync(HttpClient http, string experimentId) =>
    (await PostAsync(http, "runs/create", new { experiment_id = experimentId, start_time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }))
        .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
