using System.Text.Json;
using Kiln.Core.Processing;
using Kiln.Monitoring;
using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.Statistics;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// SageMaker Model Monitor's analyzer image (<c>sagemaker-model-monitor-analyzer</c>), as
/// <c>DefaultModelMonitor.suggest_baseline</c> and monitoring executions start it: the environment names the dataset
/// (<c>dataset_source</c>, <c>dataset_format</c>), where results go (<c>output_path</c>) and, for an execution, the
/// baseline (<c>baseline_constraints</c>, <c>baseline_statistics</c>). Without a baseline it suggests one
/// (statistics.json, constraints.json); with one it checks the data against it (statistics.json,
/// constraint_violations.json, and Kiln's per-feature drift report).
/// </summary>
public sealed class ModelMonitorAnalyzer : IBuiltInProcessor
{
    public const string Repository = "sagemaker-model-monitor-analyzer";

    public bool Handles(string imageUri) => ImageNames.IsRepository(imageUri, Repository);

    public async Task<BuiltInProcessingResult> RunAsync(BuiltInProcessingRun run, CancellationToken ct)
    {
        var environment = run.Environment;
        if (string.Equals(environment.GetValueOrDefault("analysis_type"), "MODEL_QUALITY", StringComparison.OrdinalIgnoreCase))
        {
            return await ModelQualityAnalysis.RunAsync(run, ct).ConfigureAwait(false);
        }

        if (environment.TryGetValue("analysis_type", out var analysis) && !string.Equals(analysis, "DATA_QUALITY", StringComparison.OrdinalIgnoreCase))
        {
            throw new BuiltInProcessingException($"ClientError: analysis_type {analysis} is not run by Kiln's analyzer image yet; DATA_QUALITY and MODEL_QUALITY are.");
        }

        var source = Required(environment, "dataset_source");
        var output = Required(environment, "output_path");
        var files = DatasetFiles(source);
        var streams = files.Select(file => (Stream)File.OpenRead(file)).ToList();
        try
        {
            var dataset = Dataset(environment.GetValueOrDefault("dataset_format"), streams);
            Directory.CreateDirectory(output);
            run.Log($"Analyzing {files.Count} file(s) under {source}");
            if (environment.TryGetValue("baseline_constraints", out var constraintsPath) && constraintsPath.Length > 0)
            {
                var constraints = ConstraintsJson.Parse(await ReadBaselineFile(constraintsPath, ct).ConfigureAwait(false));
                var statistics = environment.TryGetValue("baseline_statistics", out var statisticsPath) && statisticsPath.Length > 0
                    ? Kiln.Monitoring.Statistics.StatisticsJson.Parse(await ReadBaselineFile(statisticsPath, ct).ConfigureAwait(false))
                    : null;
                var result = await Task.Run(() => DataQualityMonitor.Analyze(dataset, constraints, statistics), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(output, "statistics.json"), result.StatisticsJson, ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(output, "constraint_violations.json"), result.ViolationsJson, ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(output, "kiln_drift_report.json"), result.Drift.ToJson(), ct).ConfigureAwait(false);
                run.Log($"{result.Violations.Count} violation(s)");
                return new BuiltInProcessingResult(result.Violations.Count > 0
                    ? $"CompletedWithViolations: {result.Violations.Count} constraint violation(s), see constraint_violations.json"
                    : "Completed: Job completed successfully with no violations.");
            }

            var baseline = await Task.Run(() => DataQualityMonitor.SuggestBaseline(dataset), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(output, "statistics.json"), baseline.StatisticsJson, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(output, "constraints.json"), baseline.ConstraintsJson, ct).ConfigureAwait(false);
            run.Log($"Baseline of {baseline.Statistics.ItemCount} records written to {output}");
            return new BuiltInProcessingResult("Completed: Job completed successfully with no violations.");
        }
        catch (MonitoringInputException e)
        {
            throw new BuiltInProcessingException($"ClientError: {e.Message}");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    internal static string Required(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new BuiltInProcessingException($"ClientError: the analyzer needs the environment variable {name}.");

    internal static List<string> DatasetFiles(string source)
    {
        if (File.Exists(source))
        {
            return [source];
        }

        var files = InputFiles.Under(source);
        return files.Count > 0 ? files : throw new BuiltInProcessingException($"ClientError: no dataset files under dataset_source ({source}).");
    }

    internal static async Task<string> ReadBaselineFile(string path, CancellationToken ct) =>
        File.Exists(path)
            ? await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)
            : throw new BuiltInProcessingException($"ClientError: the baseline file {path} does not exist.");

    /// <summary>dataset_format as the SDK writes it: {"csv": {"header": true}}, {"json": {"lines": true}} or {"sagemakerCaptureJson": {…}}.</summary>
    private static DatasetSource Dataset(string? format, IReadOnlyList<Stream> files)
    {
        if (string.IsNullOrWhiteSpace(format))
        {
            return DatasetSource.Csv(files, header: true);
        }

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(format).RootElement;
        }
        catch (JsonException e)
        {
            throw new BuiltInProcessingException($"ClientError: dataset_format is not JSON: {e.Message}");
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("csv", out var csv))
        {
            var header = csv.ValueKind == JsonValueKind.Object && csv.TryGetProperty("header", out var h) && h.ValueKind == JsonValueKind.True;
            return DatasetSource.Csv(files, header);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("json", out _))
        {
            return DatasetSource.JsonLines(files);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("sagemakerCaptureJson", out _))
        {
            return DatasetSource.Capture(files);
        }

        throw new BuiltInProcessingException($"ClientError: dataset_format {format} names no format Kiln reads (csv, json, sagemakerCaptureJson).");
    }
}
