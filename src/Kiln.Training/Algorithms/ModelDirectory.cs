using System.Text.Json;
using Kiln.Training.Data;
using Microsoft.ML;

namespace Kiln.Training.Algorithms;

/// <summary>
/// What a built-in algorithm leaves in the model directory (and so in model.tar.gz): <c>model.zip</c>, the
/// ML.NET model, and <c>kiln-model.json</c>, which says how to load it and how to encode inputs. For boosted
/// trees, <paramref name="Rounds"/> is how many rounds the model holds: fewer than num_round when early stopping
/// rolled it back, and what retraining the same model without a validation channel needs. A regression model trained
/// on a transformed target (<paramref name="TargetTransform"/>) has its predictions turned back into the target's scale.
/// </summary>
public sealed record ModelManifest(
    string Algorithm,
    string Problem,
    int FeatureCount,
    FeatureEncoder? Encoder,
    IReadOnlyDictionary<string, string> HyperParameters,
    DateTimeOffset TrainedAt,
    int? Rounds = null,
    Boosting.TargetTransform? TargetTransform = null);

public static class ModelDirectory
{
    public const string ModelFile = "model.zip";
    public const string ManifestFile = "kiln-model.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string directory, MLContext ml, ITransformer model, DataViewSchema schema, ModelManifest manifest)
    {
        Directory.CreateDirectory(directory);
        ml.Model.Save(model, schema, Path.Combine(directory, ModelFile));
        SaveManifest(directory, manifest);
    }

    /// <summary>Writes kiln-model.json alone, for algorithms whose model is not an ML.NET one.</summary>
    public static void SaveManifest(string directory, ModelManifest manifest) =>
        File.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, Json));

    public static bool IsPackage(string directory) => File.Exists(Path.Combine(directory, ManifestFile));

    public static ModelManifest ReadManifest(string directory) =>
        JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(Path.Combine(directory, ManifestFile)), Json)
        ?? throw new InvalidDataException($"{ManifestFile} is empty");

    public static ITransformer LoadModel(MLContext ml, string directory) =>
        ml.Model.Load(Path.Combine(directory, ModelFile), out _);
}
