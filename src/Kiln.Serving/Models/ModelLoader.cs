using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Serving.Inference;
using Kiln.Serving.Models.Python;
using Kiln.Training.Algorithms;
using Kiln.Training.ScriptMode;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Models;

/// <summary>
/// Brings a model's data to this node and loads it: a Kiln training job's model.tar.gz (kiln-model.json +
/// the algorithm's files), an ONNX model (*.onnx) or an ML.NET model (*.zip), alone or in a model.tar.gz, or a
/// framework model (the user's inference script run by Python workers, see <see cref="FrameworkModel"/>).
/// </summary>
public sealed class ModelLoader(DataUris data, AlgorithmCatalog algorithms, ServingWorkspace workspace, ScriptModeOptions scripts, ILogger<ModelLoader> logger)
{
    /// <summary>How long a framework model's workers may take to load it.</summary>
    private static readonly TimeSpan WorkerStartTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _preparing = new(StringComparer.Ordinal);

    /// <summary>Downloads and unpacks the model's data once per model; throws KilnException (InvalidParameterValue) when it is missing or unreadable.</summary>
    public async Task<string> PrepareAsync(HostedModel model, CancellationToken ct)
    {
        var url = model.ModelDataUrl ?? throw KilnException.InvalidParameter($"Model {model.Name} has no ModelDataUrl to load.");
        return await PrepareAsync(Path.Combine("models", model.Name, model.CreationTime.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), url, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads and unpacks model data once into the workspace folder <paramref name="folder"/> (relative); returns the folder's path.</summary>
    public async Task<string> PrepareAsync(string folder, string url, CancellationToken ct)
    {
        var directory = Path.Combine(workspace.Root, folder);
        if (File.Exists(Path.Combine(directory, ".ready")))
        {
            return directory;
        }

        // One download per model folder at a time: endpoints and transform jobs may ask for the same model at once.
        var gate = _preparing.GetOrAdd(directory, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return File.Exists(Path.Combine(directory, ".ready")) ? directory : await DownloadAsync(url, directory, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> DownloadAsync(string url, string directory, CancellationToken ct)
    {
        var staging = directory + ".download";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        try
        {
            await data.DownloadAsync(url, staging, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw KilnException.InvalidParameter($"Could not find model data at {url}.");
        }

        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(staging, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".tar.gz", StringComparison.Ordinal) || file.EndsWith(".tgz", StringComparison.Ordinal))
            {
                try
                {
                    await using var stream = File.OpenRead(file);
                    await using var gzip = new GZipStream(stream, CompressionMode.Decompress);
                    await TarFile.ExtractToDirectoryAsync(gzip, directory, overwriteFiles: true, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
                {
                    Directory.Delete(directory, recursive: true);
                    throw KilnException.InvalidParameter($"The model data at {url} is not a readable tar.gz archive: {e.Message}");
                }
            }
            else
            {
                File.Copy(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
            }
        }

        Directory.Delete(staging, recursive: true);
        await File.WriteAllTextAsync(Path.Combine(directory, ".ready"), url, ct).ConfigureAwait(false);
        return directory;
    }

    /// <summary>
    /// A fresh served model (one per replica) over a prepared model folder: a framework model's warm workers, or
    /// the predictor of a Kiln, ONNX or ML.NET model. Throws <see cref="InvalidDataException"/> (or
    /// <see cref="KilnException"/>) when the model cannot load.
    /// </summary>
    /// <param name="concurrency">Requests the caller sends at once (a batch transform's MaxConcurrentTransforms): a framework model starts at least that many workers.</param>
    /// <param name="log">Where the replica's log lines go (what the model is, the workers' output), if anywhere.</param>
    public async Task<IServedModel> LoadServedAsync(HostedModel model, string directory, CancellationToken ct, int concurrency = 1, Action<string>? log = null)
    {
        if (FrameworkModel.Detect(model, directory) is not { } framework)
        {
            var predictor = Load(directory);
            log?.Invoke($"Model kind: {Kind(directory, predictor)}");
            return new PredictorModel(predictor, InferenceOutput.From(model.Environment));
        }

        var code = await PrepareCodeAsync(framework, directory, ct).ConfigureAwait(false);
        if (framework.Program is { } program && !File.Exists(Path.Combine(code, program)))
        {
            throw new InvalidDataException(
                $"The inference script {program} (SAGEMAKER_PROGRAM) is not in the model's code ({framework.SubmitDirectory ?? "code/ in the model data"}).");
        }

        var environment = new Dictionary<string, string>(model.Environment, StringComparer.Ordinal)
        {
            ["KILN_MODEL_DIR"] = directory,
            ["KILN_CODE_DIR"] = code,
            ["SM_MODEL_DIR"] = directory,
            [FrameworkModel.ProgramVariable] = framework.Program ?? "",
            ["PYTHONUNBUFFERED"] = "1",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
        };

        // Several workers share the node's cores: one math thread each unless the model or the node says otherwise.
        if (!environment.ContainsKey("OMP_NUM_THREADS") && Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is null)
        {
            environment["OMP_NUM_THREADS"] = "1";
        }

        var workers = Math.Max(framework.Workers, concurrency);
        log?.Invoke($"Model kind: framework model (inference script {framework.Program ?? "(none)"}, image {model.Image ?? "(none)"}); starting {workers} Python inference worker(s)");
        var settings = new PythonWorkerSettings(scripts.Python, WorkerScript, model.Name, directory, code, environment, WorkerStartTimeout, log);
        return await PythonInferenceModel.StartAsync(settings, workers, framework.Timeout, logger, ct).ConfigureAwait(false);
    }

    /// <summary>Kiln's host for inference scripts, shipped beside the assemblies.</summary>
    public static string WorkerScript => Path.Combine(AppContext.BaseDirectory, "Python", "kiln_inference_worker.py");

    /// <summary>The framework model's code on this node: code/ in the model data, or SAGEMAKER_SUBMIT_DIRECTORY brought in (a sourcedir.tar.gz is unpacked) once.</summary>
    private async Task<string> PrepareCodeAsync(FrameworkModel framework, string directory, CancellationToken ct)
    {
        if (framework.CodeInModelData)
        {
            return framework.PackagedCodeDirectory(directory);
        }

        var source = framework.SubmitDirectory!;
        if (!source.StartsWith("s3://", StringComparison.Ordinal) && !source.StartsWith("file://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"SAGEMAKER_SUBMIT_DIRECTORY '{source}' is neither an s3:// or file:// location nor a folder under /opt/ml/model.");
        }

        var code = directory + ".code";
        var gate = _preparing.GetOrAdd(code, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (File.Exists(Path.Combine(code, ".ready")))
            {
                return code;
            }

            var staging = code + ".download";
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            int count;
            try
            {
                count = await data.DownloadAsync(source, staging, ct).ConfigureAwait(false);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                count = 0;
            }

            if (count == 0)
            {
                throw KilnException.InvalidParameter($"Could not find the model's code at SAGEMAKER_SUBMIT_DIRECTORY {source}.");
            }

            Directory.CreateDirectory(code);
            var files = Directory.GetFiles(staging, "*", SearchOption.AllDirectories);
            if (files.Length == 1 && (files[0].EndsWith(".tar.gz", StringComparison.Ordinal) || files[0].EndsWith(".tgz", StringComparison.Ordinal)))
            {
                try
                {
                    await using var stream = File.OpenRead(files[0]);
                    await using var gzip = new GZipStream(stream, CompressionMode.Decompress);
                    await TarFile.ExtractToDirectoryAsync(gzip, code, overwriteFiles: true, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
                {
                    Directory.Delete(code, recursive: true);
                    throw KilnException.InvalidParameter($"The code at SAGEMAKER_SUBMIT_DIRECTORY {source} is not a readable tar.gz archive: {e.Message}");
                }
            }
            else
            {
                foreach (var file in files)
                {
                    var target = Path.Combine(code, Path.GetRelativePath(staging, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target, overwrite: true);
                }
            }

            Directory.Delete(staging, recursive: true);
            await File.WriteAllTextAsync(Path.Combine(code, ".ready"), source, ct).ConfigureAwait(false);
            return code;
        }
        finally
        {
            gate.Release();
        }
    }

    private static string Kind(string directory, IPredictor predictor) => predictor switch
    {
        OnnxPredictor => "ONNX model",
        MlNetModelPredictor => "ML.NET model",
        _ when ModelDirectory.IsPackage(directory) && ModelDirectory.ReadManifest(directory) is var manifest => $"Kiln model (algorithm {manifest.Algorithm}, {manifest.Problem})",
        _ => predictor.GetType().Name,
    };

    /// <summary>A fresh predictor (one per replica) over a prepared model folder.</summary>
    public IPredictor Load(string directory) => LoadFrom(directory, algorithms);

    /// <summary>Loads whichever model a folder holds: Kiln's (by its manifest), ONNX, or ML.NET.</summary>
    public static IPredictor LoadFrom(string directory, AlgorithmCatalog algorithms)
    {
        if (ModelDirectory.IsPackage(directory))
        {
            return algorithms.LoadPredictor(directory);
        }

        var onnx = Directory.GetFiles(directory, "*.onnx", SearchOption.AllDirectories).FirstOrDefault();
        if (onnx is not null)
        {
            return new OnnxPredictor(onnx);
        }

        var mlnet = Directory.GetFiles(directory, "*.zip", SearchOption.AllDirectories).Order(StringComparer.Ordinal).FirstOrDefault();
        if (mlnet is not null)
        {
            return new MlNetModelPredictor(mlnet);
        }

        throw KilnException.InvalidParameter(
            "The model data holds neither a Kiln model (kiln-model.json, as training jobs write), an ONNX model (*.onnx), an ML.NET model (*.zip) " +
            "nor a framework model's inference script (SAGEMAKER_PROGRAM in the container's Environment, or code/inference.py in the model data).");
    }
}

/// <summary>Where hosting keeps local copies of model data.</summary>
public sealed record ServingWorkspace(string Root)
{
    public string TransformDirectory => Path.Combine(Root, "transform");

    /// <summary>The endpoints' replica logs; kept when an endpoint is deleted, as CloudWatch keeps its log group.</summary>
    public string EndpointLogDirectory => Path.Combine(Root, "endpoint-logs");

    /// <summary>A transform job's log, kept after its attempts' folders are removed.</summary>
    public string TransformLogFile(string job) => Path.Combine(TransformDirectory, job, "job.log");
}
