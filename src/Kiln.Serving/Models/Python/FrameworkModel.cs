using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Training.Algorithms;

namespace Kiln.Serving.Models.Python;

/// <summary>
/// A framework model (what the SageMaker SDK's SKLearnModel, PyTorchModel… deploy): model data plus the user's
/// inference script, served under SageMaker's inference-toolkit contract. Read from the model's container:
/// <c>SAGEMAKER_PROGRAM</c> (the script), <c>SAGEMAKER_SUBMIT_DIRECTORY</c> (its sourcedir.tar.gz by s3:// or
/// file://, or <c>/opt/ml/model/code</c> inside the model data), <c>SAGEMAKER_MODEL_SERVER_WORKERS</c> and
/// <c>SAGEMAKER_MODEL_SERVER_TIMEOUT</c>.
/// </summary>
public sealed record FrameworkModel(string? Program, string? SubmitDirectory, int Workers, TimeSpan Timeout)
{
    public const string ProgramVariable = "SAGEMAKER_PROGRAM";
    public const string SubmitDirectoryVariable = "SAGEMAKER_SUBMIT_DIRECTORY";
    public const string WorkersVariable = "SAGEMAKER_MODEL_SERVER_WORKERS";
    public const string TimeoutVariable = "SAGEMAKER_MODEL_SERVER_TIMEOUT";

    /// <summary>Where the SDK says the code sits when it repacked the script into the model data.</summary>
    public const string ContainerModelDirectory = "/opt/ml/model";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Framework serving images whose containers run the user's Python handlers (not TensorFlow Serving or the built-in algorithms).</summary>
    private static readonly string[] FrameworkImages =
    [
        "sagemaker-scikit-learn", "pytorch-inference", "sagemaker-pytorch", "mxnet-inference", "sagemaker-mxnet", "sagemaker-chainer", "huggingface-pytorch-inference",
    ];

    /// <summary>
    /// The framework model a container describes, or null for Kiln, ONNX and ML.NET models: a
    /// <c>SAGEMAKER_PROGRAM</c>, model data holding <c>code/inference.py</c>, or a framework image whose model data
    /// holds no model Kiln serves natively.
    /// </summary>
    public static FrameworkModel? Detect(HostedModel model, string directory)
    {
        var environment = model.Environment;
        var program = environment.GetValueOrDefault(ProgramVariable) is { Length: > 0 } named ? named : null;
        var packagedScript = File.Exists(Path.Combine(directory, "code", "inference.py"));
        var frameworkImage = model.Image is { } image && Array.Exists(FrameworkImages, name => image.Contains(name, StringComparison.Ordinal));
        // A framework image alone does not make a framework model: a scikit-learn job that exported ONNX (the pipeline
        // sample does) or a Kiln model registered under that image is served natively, with no handlers to run.
        if (program is null && !packagedScript && (!frameworkImage || HoldsNativeModel(directory)))
        {
            return null;
        }

        return new FrameworkModel(
            program ?? (packagedScript ? "inference.py" : null),
            environment.GetValueOrDefault(SubmitDirectoryVariable) is { Length: > 0 } submit ? submit : null,
            PositiveInt(environment, WorkersVariable) ?? 1,
            PositiveInt(environment, TimeoutVariable) is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeout);
    }

    private static bool HoldsNativeModel(string directory) =>
        ModelDirectory.IsPackage(directory)
        || Directory.EnumerateFiles(directory, "*.onnx", SearchOption.AllDirectories).Any()
        || Directory.EnumerateFiles(directory, "*.zip", SearchOption.AllDirectories).Any();

    /// <summary>Whether the code comes with the model data (<c>/opt/ml/model/code</c>, or no submit directory at all).</summary>
    public bool CodeInModelData => SubmitDirectory is null || SubmitDirectory.StartsWith(ContainerModelDirectory, StringComparison.Ordinal);

    /// <summary>The code folder on this node: <c>/opt/ml/model/…</c> maps into the model's folder.</summary>
    public string PackagedCodeDirectory(string modelDirectory) =>
        SubmitDirectory is { } submit && submit.StartsWith(ContainerModelDirectory, StringComparison.Ordinal)
            ? Path.Combine(modelDirectory, submit[ContainerModelDirectory.Length..].TrimStart('/'))
            : Path.Combine(modelDirectory, "code");

    private static int? PositiveInt(IReadOnlyDictionary<string, string> environment, string name)
    {
        if (environment.GetValueOrDefault(name) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw KilnException.InvalidParameter($"The environment variable {name} must be a positive whole number, not '{text}'.");
    }
}
