using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>The real MLflow client for Node.js (npm package mlflow 2.0.7) drives a fresh Kiln server.</summary>
public sealed class MlflowNodeClientTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Fact]
    public async Task Npm_mlflow_client_tracks_searches_and_registers_against_kiln()
    {
        var folder = Repository.Path("tests", "clients", "mlflow-js");
        await Repository.EnsureNpmPackagesAsync(folder);

        var endpoint = server.BaseAddress.ToString().TrimEnd('/');
        var (code, output) = await Repository.RunAsync("node", ["flow.js", endpoint], folder, TimeSpan.FromMinutes(2));
        var resultLine = output.Split('\n').LastOrDefault(line => line.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.True(code == 0 && resultLine is not null, $"node flow.js failed ({code}):\n{output}");

        using var result = JsonDocument.Parse(resultLine!["RESULT ".Length..]);
        Assert.True(result.RootElement.GetProperty("ok").GetBoolean(), output);

        // What the client did is really stored: read it back through the API.
        var api = server.Mlflow;
        var runId = result.RootElement.GetProperty("run_id").GetString()!;
        var run = (await api.OkAsync(api.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run");
        Assert.Equal("FINISHED", run.GetProperty("info").GetProperty("status").GetString());
        var metrics = run.GetProperty("data").GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("key").GetString()!, m => m.GetProperty("value").GetDouble());
        Assert.Equal(0.95, metrics["auc"]);
        Assert.Equal(0.2, metrics["loss"]);

        var model = result.RootElement.GetProperty("model").GetString()!;
        var version = (await api.OkAsync(api.GetAsync("model-versions/get", ("name", model), ("version", "1")))).GetProperty("model_version");
        Assert.Equal("Staging", version.GetProperty("current_stage").GetString());
        Assert.Equal(runId, version.GetProperty("run_id").GetString());

        var copy = result.RootElement.GetProperty("copy").GetString()!;
        var download = await api.OkAsync(api.GetAsync("model-versions/get-download-uri", ("name", copy), ("version", "1")));
        Assert.Equal($"{run.GetProperty("info").GetProperty("artifact_uri").GetString()}/model", download.GetProperty("artifact_uri").GetString());
    }
}
