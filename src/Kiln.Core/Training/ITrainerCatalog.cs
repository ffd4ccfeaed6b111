namespace Kiln.Core.Training;

/// <summary>Finds the trainer a job asks for: a built-in algorithm by its image, or script mode.</summary>
public interface ITrainerCatalog
{
    /// <summary>Returns the trainer for <paramref name="spec"/>; throws <see cref="TrainingValidationException"/> for an unknown algorithm.</summary>
    ITrainer Resolve(TrainingJobSpec spec);
}
