using System.Net.Http.Json;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>
/// One real Kiln server (Kestrel on a free port, SQLite and files in a temp folder) and one headless chromium for all
/// Studio tests, with data seeded through the MLflow REST API. Screenshots go to artifacts/screenshots/ under the
/// test output folder. A test class that needs a server of its own (another option, another service) derives from it.
/// </summary>
public class StudioFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly Func<KilnServerOptions, KilnServerOptions> _serverOptions;
    private readonly Action<WebApplicationBuilder>? _configureServer;
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public StudioFixture()
        : this(options => options)
    {
    }

    /// <param name="serverOptions">Changes the server's options (e.g. <c>options with { Auth = true }</c>).</param>
    /// <param name="configureServer">Changes the server's builder before it is built (e.g. replaces a service).</param>
    protected StudioFixture(Func<KilnServerOptions, KilnServerOptions> serverOptions, Action<WebApplicationBuilder>? configureServer = null)
    {
        _serverOptions = serverOptions;
        _configureServer = configureServer;
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kiln-studio-tests", Guid.NewGuid().ToString("N"));

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public IBrowser Browser { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await DebianChromium.EnsureAsync();
        _app = await KilnServer.StartAsync(_serverOptions(new KilnServerOptions { Port = 0, DataDirectory = DataDirectory }), _configureServer);
        BaseAddress = new Uri(_app.Addresses()[0] + "/");
        Http = new HttpClient { BaseAddress = BaseAddress };
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DebianChromium.Executable,
            Headless = true,
            Args = ChromiumArgs,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A fresh page on the server (its own browser context: no shared cookies or cache).</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        return await context.NewPageAsync();
    }

    /// <summary>Writes a full-page screenshot named after the page, and fails on any critical accessibility violation (axe-core).</summary>
    public static async Task CheckPageAsync(IPage page, string name)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
        var axe = await page.RunAxe();
        var critical = axe.Violations.Where(v => v.Impact == "critical").ToList();
        Assert.True(critical.Count == 0, $"critical accessibility violations on {name}: " +
            string.Join("; ", critical.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))})")));
    }

    public async Task<JsonElement> MlflowAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync("api/2.0/mlflow/" + path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }

    public async Task<string> CreateExperimentAsync(string name) =>
        (await MlflowAsync("experiments/create", new { name })).GetProperty("experiment_id").GetString()!;

    /// <summary>Creates a finished run with params, a metric history per metric (one point per step) and tags.</summary>
    public async Task<(string RunId, string ArtifactUri)> CreateRunAsync(
        string experimentId, string name, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, double[]> metrics, long startTime = 1_780_000_000_000)
    {
        var info = (await MlflowAsync("runs/create", new { experiment_id = experimentId, run_name = name, start_time = startTime }))
            .GetProperty("run").GetProperty("info");
        var runId = info.GetProperty("run_id").GetString()!;
        var points = metrics.SelectMany(metric => metric.Value.Select((value, step) => new { key = metric.Key, value, timestamp = startTime + step, step = (long)step })).ToList();
        foreach (var chunk in points.Chunk(1000))
        {
            await MlflowAsync("runs/log-batch", new { run_id = runId, metrics = chunk, @params = Array.Empty<object>(), tags = Array.Empty<object>() });
        }

        await MlflowAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = Array.Empty<object>(),
            @params = parameters.Select(p => new { key = p.Key, value = p.Value }),
            tags = new[] { new { key = "team", value = "studio" } },
        });
        await MlflowAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = startTime + 65_000 });
        return (runId, info.GetProperty("artifact_uri").GetString()!);
    }

    /// <summary>Uploads a file to a run's artifacts through the mlflow-artifacts proxy, as an MLflow client does.</summary>
    public async Task UploadArtifactAsync(string artifactUri, string path, byte[] content)
    {
        var root = artifactUri["mlflow-artifacts:".Length..].TrimStart('/');
        using var response = await Http.PutAsync($"api/2.0/mlflow-artifacts/artifacts/{root}/{path}", new ByteArrayContent(content));
        Assert.True(response.IsSuccessStatusCode, $"upload {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StudioCollection : ICollectionFixture<StudioFixture>
{
    public const string Name = "Studio";
}
