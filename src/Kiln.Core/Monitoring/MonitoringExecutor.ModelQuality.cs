using System.Globalization;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Processing;

namespace Kiln.Core.Monitoring;

/// <summary>What a model quality execution adds to the processing job: the ground truth of the window and where the prediction is.</summary>
public sealed partial class MonitoringExecutor
{
    private const string GroundTruthRoot = "/opt/ml/processing/groundtruth";

    /// <summary>One input per hour folder of ground truth ({GroundTruthS3Uri}/yyyy/MM/dd/HH) in [start, end), and the analyzer's model-quality settings.</summary>
    private async Task AddModelQualityAsync(MonitorJobDefinition definition, DateTimeOffset start, DateTimeOffset end, List<ProcessingInput> inputs, Dictionary<string, string> environment, CancellationToken ct)
    {
        var quality = definition.ModelQuality
            ?? throw KilnException.InvalidParameter($"Job definition {definition.Name} is a ModelQuality definition without its model quality settings.");
        var (bucket, key) = DataUris.S3Location(quality.GroundTruthS3Uri);
        var prefix = key.Length == 0 ? "" : $"{key.TrimEnd('/')}/";
        var folders = await HourFoldersAsync(bucket, prefix, 0, start, end, ct).ConfigureAwait(false);
        if (folders.Count == 0)
        {
            throw KilnException.InvalidParameter(
                $"No ground truth in the analysis window {start:u} to {end:u}: nothing was uploaded under {quality.GroundTruthS3Uri}/yyyy/MM/dd/HH for those hours.");
        }

        inputs.AddRange(folders.Select((folder, i) => new ProcessingInput($"ground_truth_input_{i}", $"s3://{bucket}/{prefix}{folder}/", $"{GroundTruthRoot}/{folder}")));
        environment["analysis_type"] = "MODEL_QUALITY";
        environment["problem_type"] = quality.ProblemType;
        environment["ground_truth_source"] = GroundTruthRoot;
        if (quality.InferenceAttribute is { } inference)
        {
            environment["inference_attribute"] = inference;
        }

        if (quality.ProbabilityAttribute is { } probability)
        {
            environment["probability_attribute"] = probability;
        }

        if (quality.ProbabilityThresholdAttribute is { } threshold)
        {
            environment["probability_threshold_attribute"] = threshold.ToString(CultureInfo.InvariantCulture);
        }
    }
}
