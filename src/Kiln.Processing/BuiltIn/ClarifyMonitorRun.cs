using System.Globalization;
using Kiln.Clarify;
using Kiln.Clarify.Config;
using Kiln.Clarify.Explainability;
using Kiln.Clarify.Reports;
using Kiln.Core.Monitoring;
using Kiln.Core.Processing;
using Kiln.Core.Serving;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// The Clarify image run by a ModelBias or ModelExplainability monitoring execution (the executor sets
/// <c>monitoring_type</c>): the dataset is the endpoint's captured traffic (<c>dataset_source</c>) joined with ground
/// truth (<c>ground_truth_source</c>); post-training bias uses the captured predictions, SHAP calls the endpoint.
/// With <c>baseline_constraints</c> a bias metric beyond its baseline, or global SHAP values ranked too differently
/// from the baseline's, is a violation (CompletedWithViolations).
/// </summary>
internal static class ClarifyMonitorRun
{
    public static async Task<BuiltInProcessingResult> RunAsync(BuiltInProcessingRun run, string monitoringType, IEndpointInvoker endpoints, CancellationToken ct)
    {
        var environment = run.Environment;
        var endpoint = Required(environment, "end_point");
        var output = Required(environment, "output_path");
        var threshold = environment.TryGetValue("probability_threshold_attribute", out var t) && t.Length > 0
            ? double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture)
            : environment.ContainsKey("probability_attribute") ? 0.5 : (double?)null;
        var json = await File.ReadAllTextAsync(Required(environment, "analysis_config"), ct).ConfigureAwait(false);
        try
        {
            var config = ClarifyMonitorConfig.Parse(monitoringType, endpoint, json, threshold);
            var bias = monitoringType == MonitoringTypes.ModelBias;
            var groundTruth = environment.TryGetValue("ground_truth_source", out var truth) ? InputFiles.Under(truth) : [];
            var data = CapturedClarifyData.Read(
                config,
                InputFiles.Under(Required(environment, "dataset_source")),
                groundTruth,
                environment.GetValueOrDefault("probability_attribute") ?? environment.GetValueOrDefault("inference_attribute"),
                needsGroundTruth: bias);
            run.Log($"{monitoringType} analysis of {data.Dataset.RowCount} captured record(s) from endpoint {endpoint}");
            IBatchPredictor predictor = bias ? new CapturedPredictions(data.Predictions) : new EndpointPredictor(endpoints, endpoint, config.Predictor);
            var result = await ClarifyAnalysis.RunAsync(config, data.Dataset, new ClarifyRunOptions { Predictor = predictor }, ct).ConfigureAwait(false);
            await ClarifyOutput.WriteAsync(output, config, result, ct).ConfigureAwait(false);
            if (bias && result.PostTraining is { } post && environment.TryGetValue("baseline_constraints", out var constraints) && constraints.Length > 0)
            {
                var violations = BiasDriftCheck.Check(post, await File.ReadAllTextAsync(constraints, ct).ConfigureAwait(false));
                await File.WriteAllTextAsync(Path.Combine(output, "constraint_violations.json"), BiasDriftCheck.ToJson(violations), ct).ConfigureAwait(false);
                run.Log($"{violations.Count} violation(s)");
                if (violations.Count > 0)
                {
                    return new BuiltInProcessingResult($"CompletedWithViolations: {violations.Count} bias metric(s) beyond the baseline, see constraint_violations.json");
                }
            }

            if (!bias && result.Shap is { } shap && environment.TryGetValue("baseline_constraints", out var shapConstraints) && shapConstraints.Length > 0)
            {
                var violations = FeatureAttributionDriftCheck.Check(shap, await File.ReadAllTextAsync(shapConstraints, ct).ConfigureAwait(false));
                await File.WriteAllTextAsync(Path.Combine(output, "constraint_violations.json"), FeatureAttributionDriftCheck.ToJson(violations), ct).ConfigureAwait(false);
                run.Log($"{violations.Count} violation(s)");
                if (violations.Count > 0)
                {
                    return new BuiltInProcessingResult($"CompletedWithViolations: the feature attributions of {violations.Count} label(s) drifted from the baseline, see constraint_violations.json");
                }
            }

            return new BuiltInProcessingResult("Completed: Job completed successfully with no violations.");
        }
        catch (ClarifyValidationException e)
        {
            throw new BuiltInProcessingException($"ClientError: {e.Message}");
        }
    }

    private static string Required(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new BuiltInProcessingException($"ClientError: the Clarify monitor needs the environment variable {name}.");

    /// <summary>The endpoint's captured answers, in dataset order: post-training bias scores what the model said, without calling it again.</summary>
    private sealed class CapturedPredictions(double[] predictions) : IBatchPredictor
    {
        public Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken) =>
            rows.Count == predictions.Length
                ? Task.FromResult(predictions)
                : throw new BuiltInProcessingException($"ClientError: {rows.Count} rows asked for, {predictions.Length} predictions captured.");
    }
}
