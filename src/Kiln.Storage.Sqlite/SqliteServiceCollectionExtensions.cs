using Kiln.Core.AutoML;
using Kiln.Core.FeatureStore;
using Kiln.Core.Lineage;
using Kiln.Core.Monitoring;
using Kiln.Core.Objects;
using Kiln.Core.Pipelines;
using Kiln.Core.Processing;
using Kiln.Core.Registry;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Core.Transform;
using Kiln.Core.Tuning;
using Kiln.Storage.Sqlite.AutoML;
using Kiln.Storage.Sqlite.FeatureStore;
using Kiln.Storage.Sqlite.Lineage;
using Kiln.Storage.Sqlite.Monitoring;
using Kiln.Storage.Sqlite.Objects;
using Kiln.Storage.Sqlite.Pipelines;
using Kiln.Storage.Sqlite.Processing;
using Kiln.Storage.Sqlite.Registry;
using Kiln.Storage.Sqlite.Security;
using Kiln.Storage.Sqlite.Serving;
using Kiln.Storage.Sqlite.Tracking;
using Kiln.Storage.Sqlite.Training;
using Kiln.Storage.Sqlite.Transform;
using Kiln.Storage.Sqlite.Tuning;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Storage.Sqlite;

public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Every area's metadata in one SQLite database (WAL mode): the embedded default. Each store implements its
    /// area's port from Kiln.Core and is held to the shared storage contract (tests/Kiln.Storage.Tests).
    /// </summary>
    /// <param name="databasePath">The database file; created, and migrated to the current schema, on first use.</param>
    /// <param name="defaultArtifactRoot">Where new experiments keep their run artifacts (a URI prefix).</param>
    public static IServiceCollection AddKilnSqlite(this IServiceCollection services, string databasePath, string defaultArtifactRoot)
    {
        services.AddSingleton(_ => new SqliteDatabase(databasePath));
        services.AddSingleton<ITrackingStore>(provider => new SqliteTrackingStore(
            provider.GetRequiredService<SqliteDatabase>(), defaultArtifactRoot, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IModelRegistryStore, SqliteModelRegistryStore>();
        services.AddSingleton<IModelPackageStore, SqliteModelPackageStore>();
        services.AddSingleton<ITrainingJobStore, SqliteTrainingJobStore>();
        services.AddSingleton<IProcessingJobStore, SqliteProcessingJobStore>();
        services.AddSingleton<ITransformJobStore, SqliteTransformJobStore>();
        services.AddSingleton<ITuningJobStore, SqliteTuningJobStore>();
        services.AddSingleton<IAutoMLJobStore, SqliteAutoMLJobStore>();
        services.AddSingleton<IServingStore, SqliteServingStore>();
        services.AddSingleton<IPipelineStore, SqlitePipelineStore>();
        services.AddSingleton<IPipelineExecutionStore, SqlitePipelineExecutionStore>();
        services.AddSingleton<ILineageStore, SqliteLineageStore>();
        services.AddSingleton<IObjectIndex, SqliteObjectIndex>();
        services.AddSingleton<IMonitoringStore, SqliteMonitoringStore>();
        services.AddSingleton<IMonitoringResultsStore, SqliteMonitoringResultsStore>();
        services.AddSingleton<IFeatureGroupStore, SqliteFeatureGroupStore>();
        services.AddSingleton<IOnlineRecordStore, SqliteOnlineRecordStore>();
        services.AddSingleton<IUserStore, SqliteUserStore>();
        services.AddCachedPermissionStore<SqlitePermissionStore>();
        services.AddSingleton<Kiln.Core.Security.Audit.IAuditStore, SqliteAuditStore>();
        return services;
    }
}
