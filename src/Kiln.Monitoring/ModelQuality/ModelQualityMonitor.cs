using System.Globalization;
using Kiln.Monitoring.Datasets;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>A model-quality monitoring execution: the metrics, the violations, and how the merge went.</summary>
public sealed record ModelQualityResult(
    ModelQualityStatistics Statistics,
    IReadOnlyList<ModelQualityViolation> Violations,
    int Matched,
    int GroundTruthWithoutInference,
    int InferencesWithoutGroundTruth)
{
    public string StatisticsJson => Statistics.ToJson();

    public string ViolationsJson => ModelQualityConstraints.ViolationsJson(Violations);
}

/// <summary>Model Monitor's model-quality analyzer.</summary>
public static class ModelQualityMonitor
{
    /// <summary>
    /// Merges ground truth with the captured predictions by id (the ground truth's eventId is the capture's
    /// inferenceId, or its eventId when the invocation gave none), computes the metrics and checks the constraints.
    /// </summary>
    public static ModelQualityResult Analyze(
        IReadOnlyList<Stream> captureFiles,
        IReadOnlyList<Stream> groundTruthFiles,
        ModelQualityConfig config,
        ModelQualityConstraints? constraints = null,
        IReadOnlyList<string>? groundTruthNames = null)
    {
        var truth = GroundTruthReader.Read(groundTruthFiles, groundTruthNames);
        var pairs = new List<LabeledPrediction>();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        var unlabeled = 0;
        for (var f = 0; f < captureFiles.Count; f++)
        {
            foreach (var record in CaptureReader.Read(captureFiles[f], $"capture file {f + 1}"))
            {
                var key = truth.ContainsKey(record.Key) ? record.Key : truth.ContainsKey(record.EventId) ? record.EventId : null;
                if (key is null || !matched.Add(key))
                {
                    unlabeled++;
                    continue;
                }

                var where = $"line {record.Line} of capture file {f + 1}";
                var output = record.Output ?? throw new MonitoringInputException($"The capture record on {where} has no endpointOutput to evaluate.");
                pairs.Add(Pair(truth[key], output, config, where));
            }
        }

        if (pairs.Count == 0)
        {
            throw new MonitoringInputException($"None of the {truth.Count} ground truth records matches a captured inference (by inferenceId or eventId).");
        }

        var result = Evaluate(pairs, config, constraints);
        return result with { GroundTruthWithoutInference = truth.Count - matched.Count, InferencesWithoutGroundTruth = unlabeled };
    }

    /// <summary>Metrics (and violations) of labeled predictions, e.g. a model-quality baseline dataset.</summary>
    public static ModelQualityResult Evaluate(IReadOnlyList<LabeledPrediction> pairs, ModelQualityConfig config, ModelQualityConstraints? constraints = null)
    {
        if (constraints is not null && constraints.ProblemType != config.ProblemType)
        {
            throw new MonitoringInputException($"The constraints are for {constraints.ProblemType}, the job is {config.ProblemType}.");
        }

        var statistics = Metrics.Compute(pairs, config);
        return new ModelQualityResult(statistics, constraints?.Check(statistics) ?? [], pairs.Count, 0, 0);
    }

    /// <summary>A model-quality baseline: the metrics of a labeled dataset and the constraints they suggest.</summary>
    public static (ModelQualityStatistics Statistics, ModelQualityConstraints Constraints) SuggestBaseline(IReadOnlyList<LabeledPrediction> pairs, ModelQualityConfig config)
    {
        var statistics = Metrics.Compute(pairs, config);
        return (statistics, ModelQualityConstraints.Suggest(statistics));
    }

    private static LabeledPrediction Pair(string actual, CapturedPayload output, ModelQualityConfig config, string where)
    {
        var probability = config.ProbabilityAttribute is { } p
            ? PredictionReader.Value(output, p, where) is { } text ? Metrics.Number(text, "probability") : null
            : (double?)null;
        if (config.ProblemType == ProblemType.BinaryClassification && config.InferenceAttribute is null && probability is null)
        {
            // One output value: a label when it is 0/1, otherwise the probability of the positive class.
            var value = PredictionReader.Value(output, null, where) ?? throw new MonitoringInputException($"The output on {where} is empty.");
            var number = Metrics.Number(value, "prediction");
            return number is 0 or 1
                ? new LabeledPrediction(actual, number.ToString(CultureInfo.InvariantCulture))
                : new LabeledPrediction(actual, value, number);
        }

        var predicted = config.InferenceAttribute is null && probability is { } score
            ? (score >= config.ProbabilityThreshold ? "1" : "0")
            : PredictionReader.Value(output, config.InferenceAttribute, where) ?? throw new MonitoringInputException($"The output on {where} has no prediction.");
        return new LabeledPrediction(actual, predicted, probability);
    }
}
