using System.Globalization;
using Kiln.Core.Processing;

namespace Kiln.Core.Monitoring;

/// <summary>ModelBias and ModelExplainability executions: Clarify's image on the captured hours, the ground truth and the analysis config.</summary>
public sealed partial class MonitoringExecutor
{
    public const string ClarifyImage = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0";

    private const string ClarifyInputRoot = "/opt/ml/processing/input";

    private async Task<(string Name, string ReportUri)> StartClarifyJobAsync(
        MonitoringExecution execution, MonitoringSchedule schedule, MonitorJobDefinition definition, ClarifyMonitorSpec clarify, List<ProcessingInput> inputs, CancellationToken ct)
    {
        inputs.Add(new ProcessingInput("analysis_config", clarify.ConfigUri, $"{ClarifyInputRoot}/config"));
        var environment = new Dictionary<string, string>(definition.Environment)
        {
            ["monitoring_type"] = definition.MonitoringType,
            ["dataset_source"] = definition.LocalPath,
            ["analysis_config"] = $"{ClarifyInputRoot}/config/{FileName(clarify.ConfigUri)}",
            ["output_path"] = definition.Outputs[0].LocalPath,
            ["end_point"] = definition.EndpointName,
            ["monitoring_schedule_name"] = schedule.Name,
        };
        if (clarify.GroundTruthS3Uri is { } groundTruth)
        {
            // The whole prefix: labels arrive after the predictions, so the hours they are filed under need not be the capture window's.
            inputs.Add(new ProcessingInput("ground_truth_input", groundTruth, $"{ClarifyInputRoot}/ground_truth"));
            environment["ground_truth_source"] = $"{ClarifyInputRoot}/ground_truth";
        }

        AddIfSet(environment, "features_attribute", clarify.FeaturesAttribute);
        AddIfSet(environment, "inference_attribute", clarify.InferenceAttribute);
        AddIfSet(environment, "probability_attribute", clarify.ProbabilityAttribute);
        AddIfSet(environment, "probability_threshold_attribute", clarify.ProbabilityThresholdAttribute?.ToString("R", CultureInfo.InvariantCulture));
        if ((await BaselineAsync(definition, ct).ConfigureAwait(false)).ConstraintsUri is { } constraints)
        {
            inputs.Add(new ProcessingInput("constraints", constraints, $"{BaselineRoot}/constraints"));
            environment["baseline_constraints"] = $"{BaselineRoot}/constraints/{FileName(constraints)}";
        }

        return await LaunchAsync(execution, schedule, definition, ClarifyImage, [], [], environment, inputs, ct).ConfigureAwait(false);
    }

    private static void AddIfSet(Dictionary<string, string> environment, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            environment[name] = value;
        }
    }
}
