using Kiln.Core.FeatureStore;
using Kiln.FeatureStore.Offline;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.FeatureStore;

public static class OfflineStoreServiceCollectionExtensions
{
    /// <summary>Feature groups and records (Kiln.Core) with the Parquet offline store, flushed in the background and at shutdown.</summary>
    public static IServiceCollection AddKilnFeatureStoreWithOfflineStore(this IServiceCollection services)
    {
        services.AddKilnFeatureStore();
        services.AddSingleton<ParquetOfflineStore>();
        services.AddSingleton<IOfflineStoreWriter>(provider => provider.GetRequiredService<ParquetOfflineStore>());
        services.AddHostedService(provider => provider.GetRequiredService<ParquetOfflineStore>());
        return services;
    }
}
