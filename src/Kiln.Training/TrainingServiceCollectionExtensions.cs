using Kiln.Core.Jobs;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Jobs;
using Kiln.Training.ScriptMode;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Training;

public static class TrainingServiceCollectionExtensions
{
    /// <summary>
    /// Training jobs: the service, the trainers (built-in algorithms and script mode) behind one catalog, and the
    /// runner on the job engine. The store comes with the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnTraining(this IServiceCollection services, TrainingWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<TrainingJobService>();
        services.AddSingleton<TrainingJobEvents>();
        services.AddSingleton(new AlgorithmCatalog());
        services.AddSingleton<ITrainerSource>(provider => provider.GetRequiredService<AlgorithmCatalog>());
        services.AddSingleton(new ScriptModeOptions());
        services.AddSingleton<ITrainerSource, ScriptModeSource>();
        services.AddSingleton<ITrainerCatalog, TrainerCatalog>();
        services.AddSingleton<IJobRunner, TrainingJobRunner>();
        services.AddSingleton<ITrainingHostRunner, TrainingHostRunner>();
        return services;
    }
}
