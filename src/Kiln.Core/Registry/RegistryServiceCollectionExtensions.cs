using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>
    /// The model registry: MLflow's registered models and versions and SageMaker's model package groups and
    /// packages (the same records), with approval, and deploying an endpoint on approval. The stores come with
    /// the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnRegistry(this IServiceCollection services)
    {
        services.AddSingleton<RegistryService>();
        services.AddSingleton<ModelPackageService>();
        services.AddSingleton<IApprovalAction, DeployEndpointOnApproval>();
        return services;
    }
}
