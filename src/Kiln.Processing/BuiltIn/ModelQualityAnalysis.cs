using System.Globalization;
using Kiln.Core.Processing;
using Kiln.Monitoring;
using Kiln.Monitoring.ModelQuality;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// The analyzer image's analysis_type MODEL_QUALITY. With <c>ground_truth_source</c> (a monitoring execution) it
/// merges the captured predictions under <c>dataset_source</c> with the ground truth JSON Lines by event id and writes
/// statistics.json and constraint_violations.json (checked against <c>baseline_constraints</c> when given). Without it
/// (ModelQualityMonitor.suggest_baseline) it reads a CSV dataset holding the label (<c>ground_truth_attribute</c>) and the
/// prediction columns and writes statistics.json and constraints.json.
/// </summary>
internal static class ModelQualityAnalysis
{
    private const string NoViolations = "Completed: Job completed successfully with no violations.";

    public static async Task<BuiltInProcessingResult> RunAsync(BuiltInProcessingRun run, CancellationToken ct)
    {
        var environment = run.Environment;
        var config = Config(environment);
        var output = ModelMonitorAnalyzer.Required(environment, "output_path");
        Directory.CreateDirectory(output);
        try
        {
            return environment.TryGetValue("ground_truth_source", out var groundTruth) && groundTruth.Length > 0
                ? await MonitorAsync(run, config, groundTruth, output, ct).ConfigureAwait(false)
                : await SuggestBaselineAsync(run, config, output, ct).ConfigureAwait(false);
        }
        catch (MonitoringInputException e)
        {
            throw new BuiltInProcessingException($"ClientError: {e.Message}");
        }
    }

    private static async Task<BuiltInProcessingResult> MonitorAsync(BuiltInProcessingRun run, ModelQualityConfig config, string groundTruthSource, string output, CancellationToken ct)
    {
        var environment = run.Environment;
        var captureFiles = ModelMonitorAnalyzer.DatasetFiles(ModelMonitorAnalyzer.Required(environment, "dataset_source"));
        var truthFiles = InputFiles.Under(groundTruthSource);
        if (truthFiles.Count == 0)
        {
            throw new BuiltInProcessingException($"ClientError: no ground truth files under ground_truth_source ({groundTruthSource}).");
        }

        var constraints = environment.TryGetValue("baseline_constraints", out var constraintsPath) && constraintsPath.Length > 0
            ? ModelQualityConstraints.Parse(await ModelMonitorAnalyzer.ReadBaselineFile(constraintsPath, ct).ConfigureAwait(false))
            : null;
        var captures = captureFiles.Select(file => (Stream)File.OpenRead(file)).ToList();
        var truths = truthFiles.Select(file => (Stream)File.OpenRead(file)).ToList();
        try
        {
            run.Log($"Merging {captureFiles.Count} capture file(s) with {truthFiles.Count} ground truth file(s)");
            var names = truthFiles.Select(file => Path.GetRelativePath(groundTruthSource, file)).ToList();
            var result = await Task.Run(() => ModelQualityMonitor.Analyze(captures, truths, config, constraints, names), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(output, "statistics.json"), result.StatisticsJson, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(output, "constraint_violations.json"), result.ViolationsJson, ct).ConfigureAwait(false);
            run.Log($"{result.Matched} labeled prediction(s), {result.GroundTruthWithoutInference} ground truth record(s) without a captured inference, "
                + $"{result.InferencesWithoutGroundTruth} inference(s) without ground truth; {result.Violations.Count} violation(s)");
            return new BuiltInProcessingResult(result.Violations.Count > 0
                ? $"CompletedWithViolations: {result.Violations.Count} constraint violation(s), see constraint_violations.json"
                : NoViolations);
        }
        finally
        {
            foreach (var stream in captures.Concat(truths))
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<BuiltInProcessingResult> SuggestBaselineAsync(BuiltInProcessingRun run, ModelQualityConfig config, string output, CancellationToken ct)
    {
        var environment = run.Environment;
        var source = ModelMonitorAnalyzer.Required(environment, "dataset_source");
        var groundTruthAttribute = ModelMonitorAnalyzer.Required(environment, "ground_truth_attribute");
        var format = environment.GetValueOrDefault("dataset_format") ?? "";
        if (format.Length > 0 && !format.Contains("\"csv\"", StringComparison.Ordinal))
        {
            throw new BuiltInProcessingException($"ClientError: a model quality baseline reads a CSV dataset; dataset_format {format} is not supported by Kiln yet.");
        }

        var header = format.Length == 0 || format.Replace(" ", "", StringComparison.Ordinal).Contains("\"header\":true", StringComparison.Ordinal);
        var pairs = new List<LabeledPrediction>();
        foreach (var file in ModelMonitorAnalyzer.DatasetFiles(source))
        {
            await using var stream = File.OpenRead(file);
            pairs.AddRange(BaselineDataset.ReadCsv(stream, header, groundTruthAttribute, config.InferenceAttribute, config.ProbabilityAttribute, config.ProbabilityThreshold));
        }

        var (statistics, constraints) = await Task.Run(() => ModelQualityMonitor.SuggestBaseline(pairs, config), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "statistics.json"), statistics.ToJson(), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "constraints.json"), constraints.ToJson(), ct).ConfigureAwait(false);
        run.Log($"Model quality baseline of {pairs.Count} records written to {output}");
        return new BuiltInProcessingResult(NoViolations);
    }

    /// <summary>problem_type, inference_attribute, probability_attribute and probability_threshold_attribute, as ModelQualityMonitor and the executor set them.</summary>
    private static ModelQualityConfig Config(IReadOnlyDictionary<string, string> environment)
    {
        var problem = ModelMonitorAnalyzer.Required(environment, "problem_type");
        if (!Enum.TryParse<ProblemType>(problem, ignoreCase: false, out var problemType) || int.TryParse(problem, out _))
        {
            throw new BuiltInProcessingException($"ClientError: problem_type '{problem}' is not one of {string.Join(", ", Enum.GetNames<ProblemType>())}.");
        }

        var threshold = 0.5;
        if (environment.TryGetValue("probability_threshold_attribute", out var text) && text.Length > 0
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold))
        {
            throw new BuiltInProcessingException($"ClientError: probability_threshold_attribute '{text}' is not a number.");
        }

        return new ModelQualityConfig(
            problemType,
            NonEmpty(environment.GetValueOrDefault("inference_attribute")),
            NonEmpty(environment.GetValueOrDefault("probability_attribute")),
            threshold);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
