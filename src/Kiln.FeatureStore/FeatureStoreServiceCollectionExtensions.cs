using Kiln.Core.FeatureStore;
using Kiln.FeatureStore.Datasets;
using Kiln.FeatureStore.Offline;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.FeatureStore;

public static class OfflineStoreServiceCollectionExtensions
{
    /// <summary>
    /// Feature groups and records (Kiln.Core) with the Parquet offline store, flushed in the background and at shutdown and compacted in the background,
    /// and SQL over it (Athena's API on DuckDB), which keeps local copies of the files under <paramref name="cacheDirectory"/>.
    /// </summary>
    public static IServiceCollection AddKilnFeatureStoreWithOfflineStore(this IServiceCollection services, string cacheDirectory)
    {
        services.AddKilnFeatureStore();
        services.AddSingleton<ParquetOfflineStore>();
        services.AddSingleton<IOfflineStoreWriter>(provider => provider.GetRequiredService<ParquetOfflineStore>());
        services.AddHostedService(provider => provider.GetRequiredService<ParquetOfflineStore>());
        services.AddSingleton(new OfflineStoreCache(cacheDirectory));
        services.AddSingleton<OfflineStoreMirror>();
        services.AddSingleton<OfflineStoreCompactor>();
        services.AddHostedService(provider => provider.GetRequiredService<OfflineStoreCompactor>());
        services.AddSingleton<IOfflineQueryEngine, DuckDbQueryEngine>();
        services.AddSingleton<ITrainingDatasetBuilder, PointInTimeDatasetBuilder>();
        return services;
    }
}
