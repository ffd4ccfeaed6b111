using Kiln.Core.Artifacts;
using Kiln.Core.Experiments;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tracking;

public static class TrackingServiceCollectionExtensions
{
    /// <summary>
    /// Experiment tracking: MLflow's experiments and runs, the SageMaker experiments, trials and trial components
    /// kept on the same records, and multipart artifact uploads. The store comes with the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnTracking(this IServiceCollection services)
    {
        services.AddSingleton<TrackingService>();
        services.AddSingleton<ExperimentService>();
        services.AddSingleton(provider => new ArtifactUploads(
            provider.GetRequiredService<IArtifactStore>(),
            provider.GetRequiredKeyedService<IArtifactStore>(ArtifactStoreKeys.UploadParts),
            provider.GetRequiredService<TimeProvider>()));
        return services;
    }
}
