using System.Text;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>The experiment most Studio tests look at: three runs with params, metric histories, datasets and artifacts.</summary>
public sealed record DemoData(string ExperimentId, string ExperimentName, IReadOnlyList<string> RunIds, string ModelName)
{
    public const string ExperimentPrefix = "studio-demo-";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static DemoData? _seeded;

    /// <summary>Seeds once per test run (all Studio tests share one server), through the MLflow REST API.</summary>
    public static async Task<DemoData> SeedAsync(StudioFixture studio)
    {
        await Gate.WaitAsync();
        try
        {
            return _seeded ??= await CreateAsync(studio);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<DemoData> CreateAsync(StudioFixture studio)
    {
        var name = ExperimentPrefix + Guid.NewGuid().ToString("N")[..6];
        var experimentId = await studio.CreateExperimentAsync(name);
        var runIds = new List<string>();
        var settings = new[] { ("xgboost", "0.1", 0.97), ("linear", "0.01", 0.88), ("forest", "0.3", 0.93) };
        for (var i = 0; i < settings.Length; i++)
        {
            var (model, rate, final) = settings[i];
            var history = Enumerable.Range(0, 50).Select(step => final - (0.5 * Math.Exp(-step / 8.0))).ToArray();
            var loss = Enumerable.Range(0, 50).Select(step => 1.0 / (1 + step) + (i * 0.01)).ToArray();
            var (runId, artifactUri) = await studio.CreateRunAsync(
                experimentId,
                $"{model}-run",
                new Dictionary<string, string> { ["model"] = model, ["learning_rate"] = rate },
                new Dictionary<string, double[]> { ["accuracy"] = history, ["loss"] = loss },
                startTime: 1_780_000_000_000 + (i * 1000));
            runIds.Add(runId);
            if (i == 0)
            {
                await UploadArtifactsAsync(studio, artifactUri);
                await studio.MlflowAsync("runs/log-inputs", new
                {
                    run_id = runId,
                    datasets = new[]
                    {
                        new
                        {
                            tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                            dataset = new { name = "breast-cancer", digest = "abc123", source_type = "local", source = "{\"uri\": \"data/breast_cancer.csv\"}" },
                        },
                    },
                });
            }
        }

        var modelName = "studio-model-" + Guid.NewGuid().ToString("N")[..6];
        await studio.MlflowAsync("registered-models/create", new { name = modelName });
        await studio.MlflowAsync("model-versions/create", new { name = modelName, source = "runs:/" + runIds[0] + "/model", run_id = runIds[0] });
        return new DemoData(experimentId, name, runIds, modelName);
    }

    private static async Task UploadArtifactsAsync(StudioFixture studio, string artifactUri)
    {
        await studio.UploadArtifactAsync(artifactUri, "predictions.csv", Encoding.UTF8.GetBytes("id,label,score\n1,benign,0.91\n2,malignant,0.12\n"));
        await studio.UploadArtifactAsync(artifactUri, "metrics/summary.json", Encoding.UTF8.GetBytes("{\"accuracy\":0.97,\"classes\":[\"benign\",\"malignant\"]}"));
        await studio.UploadArtifactAsync(artifactUri, "notes.txt", Encoding.UTF8.GetBytes("<b>trained</b> on the breast cancer data"));
        await studio.UploadArtifactAsync(artifactUri, "report.html", Encoding.UTF8.GetBytes("<html><body><h1>Report</h1><script>parent.document.title='owned'</script></body></html>"));
        await studio.UploadArtifactAsync(artifactUri, "plots/roc.png", Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="));
    }
}
