using Kiln.Core.Training;
using Kiln.Training.Algorithms.BlazingText;
using Kiln.Training.Algorithms.KMeans;
using Kiln.Training.Algorithms.LightGbm;
using Kiln.Training.Algorithms.LinearLearner;
using Kiln.Training.Algorithms.Pca;
using Kiln.Training.Algorithms.RandomCutForest;
using Kiln.Training.Algorithms.XGBoost;

namespace Kiln.Training.Algorithms;

/// <summary>
/// The built-in algorithms, found the SageMaker way: by the repository in an ECR-style image URI
/// (<c>683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1</c> → xgboost), ignoring the
/// registry and the tag, with or without the <c>sagemaker-</c> prefix; or by AlgorithmName.
/// </summary>
public sealed class AlgorithmCatalog : ITrainerSource
{
    private readonly Dictionary<string, BuiltInAlgorithm> _algorithms;

    public AlgorithmCatalog()
        : this(Defaults())
    {
    }

    public AlgorithmCatalog(IEnumerable<BuiltInAlgorithm> algorithms)
    {
        _algorithms = algorithms.ToDictionary(algorithm => algorithm.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<BuiltInAlgorithm> Algorithms => _algorithms.Values;

    public static IEnumerable<BuiltInAlgorithm> Defaults() =>
    [
        new XGBoostAlgorithm(), new LightGbmAlgorithm(), new LinearLearnerAlgorithm(), new KMeansAlgorithm(), new PcaAlgorithm(), new BlazingTextAlgorithm(), new RandomCutForestAlgorithm(),
    ];

    public ITrainer? TryResolve(TrainingJobSpec spec) => Find(spec.TrainingImage ?? spec.AlgorithmName);

    public BuiltInAlgorithm? Find(string? imageOrName)
    {
        if (string.IsNullOrEmpty(imageOrName))
        {
            return null;
        }

        var repository = imageOrName[(imageOrName.LastIndexOf('/') + 1)..];
        var colon = repository.IndexOf(':', StringComparison.Ordinal);
        var at = repository.IndexOf('@', StringComparison.Ordinal);
        var end = new[] { colon, at }.Where(i => i >= 0).DefaultIfEmpty(repository.Length).Min();
        var name = repository[..end];
        if (name.StartsWith("sagemaker-", StringComparison.Ordinal))
        {
            name = name["sagemaker-".Length..];
        }

        return _algorithms.GetValueOrDefault(name);
    }

    /// <summary>Loads a model a built-in algorithm trained (a folder holding kiln-model.json and model.zip).</summary>
    public IPredictor LoadPredictor(string modelDirectory)
    {
        var manifest = ModelDirectory.ReadManifest(modelDirectory);
        if (manifest.Algorithm == Ensemble.EnsembleModel.AlgorithmName)
        {
            return Ensemble.EnsembleModel.Load(modelDirectory, manifest, this);
        }

        var algorithm = _algorithms.GetValueOrDefault(manifest.Algorithm)
            ?? throw new InvalidDataException($"The model was trained by '{manifest.Algorithm}', which this Kiln does not know.");
        return algorithm.LoadPredictor(modelDirectory, manifest);
    }
}
