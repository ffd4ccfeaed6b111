using Kiln.Clarify;
using Kiln.Clarify.Config;
using Kiln.Core.Processing;
using Kiln.Core.Serving;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// SageMaker Clarify's processing image (<c>sagemaker-clarify-processing</c>), as <c>SageMakerClarifyProcessor</c>
/// starts it: <c>analysis_config.json</c> in the <c>analysis_config</c> input, the data in the <c>dataset</c> input,
/// results (analysis.json, the report, local SHAP values) in the output. Bias and SHAP that need the model call the
/// endpoint the config's predictor names.
/// </summary>
public sealed class ClarifyProcessor(IEndpointInvoker endpoints) : IBuiltInProcessor
{
    public const string Repository = "sagemaker-clarify-processing";

    private const string ConfigPath = "/opt/ml/processing/input/config";
    private const string DataPath = "/opt/ml/processing/input/data";
    private const string OutputPath = "/opt/ml/processing/output";

    public bool Handles(string imageUri) => ImageNames.IsRepository(imageUri, Repository);

    public async Task<BuiltInProcessingResult> RunAsync(BuiltInProcessingRun run, CancellationToken ct)
    {
        if (run.Environment.TryGetValue("monitoring_type", out var monitoringType))
        {
            return await ClarifyMonitorRun.RunAsync(run, monitoringType, endpoints, ct).ConfigureAwait(false);
        }

        var configFile = FindFile(run.HostPath(ConfigPath), "analysis_config.json", "analysis_config");
        var dataFile = FindFile(run.HostPath(DataPath), null, "dataset");
        var output = run.HostPath(OutputPath);
        Directory.CreateDirectory(output);
        try
        {
            var json = await File.ReadAllTextAsync(configFile, ct).ConfigureAwait(false);
            var config = AnalysisConfigParser.Parse(json);
            var predictor = config.Predictor?.EndpointName is { } endpoint
                ? new EndpointPredictor(endpoints, endpoint, config.Predictor)
                : null;
            if (predictor is null && config.Predictor?.ModelName is { } model)
            {
                throw new BuiltInProcessingException($"ClientError: predictor.model_name ({model}) needs a shadow endpoint, which Kiln does not create yet; deploy the model and name the endpoint in predictor.endpoint_name.");
            }

            run.Log($"Clarify analysis of {Path.GetFileName(dataFile)} with {configFile}");
            using var reader = new StreamReader(dataFile);
            var result = await ClarifyAnalysis.RunToDirectoryAsync(json, reader, output, new ClarifyRunOptions { Predictor = predictor }, ct).ConfigureAwait(false);
            run.Log($"Wrote analysis.json ({(result.PreTraining is null ? 0 : 1) + (result.PostTraining is null ? 0 : 1) + (result.Shap is null ? 0 : 1)} method(s))");
            return new BuiltInProcessingResult("Completed: analysis complete.");
        }
        catch (ClarifyValidationException e)
        {
            throw new BuiltInProcessingException($"ClientError: {e.Message}");
        }
    }

    private static string FindFile(string folder, string? preferred, string input)
    {
        if (preferred is not null && File.Exists(Path.Combine(folder, preferred)))
        {
            return Path.Combine(folder, preferred);
        }

        var file = InputFiles.Under(folder).FirstOrDefault();
        return file ?? throw new BuiltInProcessingException($"ClientError: the {input} input has no file (expected under {folder}).");
    }
}
