using Kiln.Core.Training;

namespace Kiln.Training;

/// <summary>One family of trainers (the built-in algorithms, script mode) that may claim a job.</summary>
public interface ITrainerSource
{
    /// <summary>The trainer for <paramref name="spec"/>, or null when this source does not handle it.</summary>
    ITrainer? TryResolve(TrainingJobSpec spec);
}

/// <summary>Asks each source in turn; a job no source claims names an unknown algorithm.</summary>
public sealed class TrainerCatalog(IEnumerable<ITrainerSource> sources) : ITrainerCatalog
{
    public ITrainer Resolve(TrainingJobSpec spec)
    {
        foreach (var source in sources)
        {
            if (source.TryResolve(spec) is { } trainer)
            {
                return trainer;
            }
        }

        var name = spec.TrainingImage ?? spec.AlgorithmName ?? "(none)";
        throw new TrainingValidationException(
            $"The algorithm '{name}' is not known to Kiln. Use a built-in algorithm image (xgboost, linear-learner, kmeans, pca, blazingtext, randomcutforest) or script mode (sagemaker_program / ContainerEntrypoint).");
    }
}
