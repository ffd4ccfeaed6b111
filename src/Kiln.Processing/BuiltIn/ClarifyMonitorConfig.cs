using System.Text.Json.Nodes;
using Kiln.Clarify.Config;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// A Clarify monitor's analysis_config.json, as the SDK's ModelBiasMonitor and ModelExplainabilityMonitor upload it:
/// the bias one has no methods (the monitor runs post-training bias) and neither needs a predictor section (the
/// monitored endpoint is the model). Both are filled in when absent before Clarify's parser sees the config.
/// </summary>
public sealed class ClarifyMonitorConfig : IClarifyConfigValidator
{
    public void Validate(string monitoringType, string endpointName, string analysisConfigJson)
    {
        try
        {
            Parse(monitoringType, endpointName, analysisConfigJson, probabilityThreshold: null);
        }
        catch (ClarifyValidationException e)
        {
            throw KilnException.InvalidParameter($"The {monitoringType} analysis config is not valid: {e.Message}");
        }
    }

    /// <summary>The config a monitoring execution runs; a <see cref="ClarifyValidationException"/> when it cannot.</summary>
    public static AnalysisConfig Parse(string monitoringType, string endpointName, string json, double? probabilityThreshold)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new ClarifyValidationException("analysis_config.json must be a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ClarifyValidationException($"analysis_config.json is not valid JSON: {e.Message}");
        }

        root["dataset_type"] ??= AnalysisConfig.Csv;
        root["predictor"] ??= new JsonObject();
        if (root["predictor"] is JsonObject predictor && predictor["endpoint_name"] is null && predictor["model_name"] is null)
        {
            predictor["endpoint_name"] = endpointName;
        }

        if (monitoringType == MonitoringTypes.ModelBias)
        {
            root["methods"] ??= new JsonObject { ["post_training_bias"] = new JsonObject { ["methods"] = "all" } };
        }

        if (probabilityThreshold is { } threshold)
        {
            root["probability_threshold"] ??= threshold;
        }

        var config = AnalysisConfigParser.Parse(root.ToJsonString());
        if (config.Headers is null)
        {
            throw new ClarifyValidationException("headers is required: captured CSV records have no header row, so the config must name the columns.");
        }

        if (monitoringType == MonitoringTypes.ModelBias && config.Methods.PostTrainingBias is null)
        {
            throw new ClarifyValidationException("a model bias monitor computes post-training bias: methods.post_training_bias is required (or leave methods out).");
        }

        if (monitoringType == MonitoringTypes.ModelExplainability && config.Methods.Shap is null)
        {
            throw new ClarifyValidationException("a model explainability monitor needs methods.shap.");
        }

        return config;
    }
}
