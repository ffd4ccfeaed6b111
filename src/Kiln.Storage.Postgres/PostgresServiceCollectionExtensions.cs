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
using Kiln.Storage.Postgres.AutoML;
using Kiln.Storage.Postgres.FeatureStore;
using Kiln.Storage.Postgres.Lineage;
using Kiln.Storage.Postgres.Monitoring;
using Kiln.Storage.Postgres.Objects;
using Kiln.Storage.Postgres.Pipelines;
using Kiln.Storage.Postgres.Processing;
using Kiln.Storage.Postgres.Registry;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Postgres.Serving;
using Kiln.Storage.Postgres.Tracking;
using Kiln.Storage.Postgres.Training;
using Kiln.Storage.Postgres.Transform;
using Kiln.Storage.Postgres.Tuning;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Storage.Postgres;

public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Every area's metadata in one PostgreSQL database, shared by the nodes of a cluster. Each store implements its
    /// area's port from Kiln.Core and is held to the same storage contract as the SQLite stores (tests/Kiln.Storage.Tests).
    /// </summary>
    /// <param name="database">The database, already opened and migrated (so a wrong <c>--store</c> fails before anything starts).</param>
    /// <param name="defaultArtifactRoot">Where new experiments keep their run artifacts (a URI prefix).</param>
    public static IServiceCollection AddKilnPostgres(this IServiceCollection services, PostgresDatabase database, string defaultArtifactRoot)
    {
        services.AddSingleton(database);
        services.AddSingleton<ITrackingStore>(provider => new PostgresTrackingStore(database, defaultArtifactRoot, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IModelRegistryStore, PostgresModelRegistryStore>();
        services.AddCachedPermissionStore<Security.PostgresPermissionStore>();
        services.AddSingleton<Kiln.Core.Security.Audit.IAuditStore, Security.PostgresAuditStore>();
        services.AddSingleton<IModelPackageStore, PostgresModelPackageStore>();
        services.AddSingleton<ITrainingJobStore, PostgresTrainingJobStore>();
        services.AddSingleton<IProcessingJobStore, PostgresProcessingJobStore>();
        services.AddSingleton<ITransformJobStore, PostgresTransformJobStore>();
        services.AddSingleton<ITuningJobStore, PostgresTuningJobStore>();
        services.AddSingleton<IAutoMLJobStore, PostgresAutoMLJobStore>();
        services.AddSingleton<IServingStore, PostgresServingStore>();
        services.AddSingleton<IPipelineStore, PostgresPipelineStore>();
        services.AddSingleton<IPipelineExecutionStore, PostgresPipelineExecutionStore>();
        services.AddSingleton<ILineageStore, PostgresLineageStore>();
        services.AddSingleton<IObjectIndex, PostgresObjectIndex>();
        services.AddSingleton<IMonitoringStore, PostgresMonitoringStore>();
        services.AddSingleton<IMonitoringResultsStore, PostgresMonitoringResultsStore>();
        services.AddSingleton<IFeatureGroupStore, PostgresFeatureGroupStore>();
        services.AddSingleton<IOnlineRecordStore, PostgresOnlineRecordStore>();
        services.AddSingleton<IUserStore, PostgresUserStore>();
        return services;
    }
}
