using Kiln.Clarify;
using Kiln.Clarify.Config;
using Kiln.Core.Common;
using Kiln.Core.Processing;
using Kiln.Core.Serving;

namespace Kiln.Processing.BuiltIn;

/// <summary>
/// SageMaker Clarify's processing image (<c>sagemaker-clarify-processing</c>), as <c>SageMakerClarifyProcessor</c>
/// starts it: <c>analysis_config.json</c> in the <c>analysis_config</c> input, the data in the <c>dataset</c> input,
/// results (analysis.json, the report, local SHAP values) in the output. Bias and SHAP that need the model call the
/// endpoint the config's predictor names, or the model it names (loaded in-process).
/// </summary>
public sealed class ClarifyProcessor(IEndpointInvoker endpoints, IModelInvoker models) : IBuiltInProcessor
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
            // predictor.model_name: SageMaker deploys a shadow endpoint for the job; Kiln loads the model in-process instead.
            using var model = config.Predictor is { EndpointName: null, ModelName: { } modelName } ? await LoadModelAsync(modelName, ct).ConfigureAwait(false) : null;
            var predictor = config.Predictor?.EndpointName is { } endpoint
                ? new EndpointPredictor(endpoints, endpoint, config.Predictor)
                : model is not null ? new EndpointPredictor(model, config.Predictor!.ModelName!, config.Predictor) : null;

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

    private async Task<ILoadedModel> LoadModelAsync(string name, CancellationToken ct)
    {
        try
        {
            return await models.LoadAsync(name, ct).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            throw new BuiltInProcessingException($"ClientError: predictor.model_name {name}: {e.Message}");
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
