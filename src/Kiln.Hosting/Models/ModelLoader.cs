using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Hosting;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;

namespace Kiln.Hosting.Models;

/// <summary>
/// Brings a model's data to this node and loads it: a Kiln training job's model.tar.gz (kiln-model.json +
/// the algorithm's files), an ONNX model (*.onnx) or an ML.NET model (*.zip), alone or in a model.tar.gz.
/// </summary>
public sealed class ModelLoader(DataUris data, AlgorithmCatalog algorithms, HostingWorkspace workspace)
{
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

    /// <summary>A fresh predictor (one per replica) over a prepared model folder.</summary>
    public IPredictor Load(string directory) => LoadFrom(directory, algorithms);

    /// <summary>Loads whichever model a folder holds: Kiln's (by its manifest), ONNX, or ML.NET.</summary>
    public static IPredictor LoadFrom(string directory, AlgorithmCatalog algorithms)
    {
        if (ModelPackage.IsPackage(directory))
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
            "The model data holds neither a Kiln model (kiln-model.json, as training jobs write), an ONNX model (*.onnx) nor an ML.NET model (*.zip).");
    }
}

/// <summary>Where hosting keeps local copies of model data.</summary>
public sealed record HostingWorkspace(string Root)
{
    public string TransformDirectory => Path.Combine(Root, "transform");

    /// <summary>A transform job's log, kept after its attempts' folders are removed.</summary>
    public string TransformLogFile(string job) => Path.Combine(TransformDirectory, job, "job.log");
}
