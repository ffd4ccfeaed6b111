using Kiln.Core.Artifacts;
using Kiln.Core.Training;

namespace Kiln.Training.ScriptMode;

/// <summary>
/// Claims the jobs that run user code: Kiln's script image (<c>kiln/script</c>), a job with a
/// ContainerEntrypoint, or the SageMaker SDK's framework estimators (a <c>sagemaker_program</c>
/// hyperparameter, whatever framework image they name).
/// </summary>
public sealed class ScriptModeSource(DataUris data, ScriptModeOptions options) : ITrainerSource
{
    public const string Image = "kiln/script";
    public const string ProgramParameter = "sagemaker_program";
    public const string SubmitDirectoryParameter = "sagemaker_submit_directory";

    public ITrainer? TryResolve(TrainingJobSpec spec)
    {
        var isScriptImage = spec.TrainingImage?.Contains(Image, StringComparison.Ordinal) == true;
        var program = spec.HyperParameters.GetValueOrDefault(ProgramParameter);
        if (!isScriptImage && spec.ContainerEntrypoint.Count == 0 && program is null)
        {
            return null;
        }

        var command = spec.ContainerEntrypoint.Concat(spec.ContainerArguments).ToList();
        var script = new ScriptSpec(
            command,
            Unquote(spec.HyperParameters.GetValueOrDefault(SubmitDirectoryParameter)),
            Unquote(program),
            spec.MetricDefinitions,
            spec.Environment);
        return new ScriptTrainer(script, data, options);
    }

    /// <summary>The SageMaker SDK JSON-encodes hyperparameter values, so strings arrive quoted.</summary>
    internal static string? Unquote(string? value) =>
        value is { Length: >= 2 } && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
}

/// <summary>How this node runs scripts.</summary>
public sealed record ScriptModeOptions
{
    /// <summary>The interpreter for <c>.py</c> programs. Debian's system Python is where apt installs scikit-learn, XGBoost and the rest.</summary>
    public string Python { get; init; } = Environment.GetEnvironmentVariable("KILN_SCRIPT_PYTHON")
        ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

    /// <summary>How long a stopped script gets between SIGTERM and SIGKILL.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
}
