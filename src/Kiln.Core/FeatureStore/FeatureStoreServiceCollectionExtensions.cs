using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.FeatureStore;

public static class FeatureStoreServiceCollectionExtensions
{
    /// <summary>Feature groups and their records; the stores come with the storage choice.</summary>
    public static IServiceCollection AddKilnFeatureStore(this IServiceCollection services)
    {
        services.AddSingleton<FeatureGroupService>();
        services.AddSingleton<FeatureRecordService>();
        return services;
    }
}
