using Kiln.Core.Artifacts;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Objects;

public static class ObjectsServiceCollectionExtensions
{
    /// <summary>
    /// The S3-compatible object store and the data URIs jobs read and write (<c>s3://</c>, <c>mlflow-artifacts:</c>,
    /// <c>file://</c>). The index and the byte stores come with the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnObjects(this IServiceCollection services)
    {
        services.AddSingleton(provider => new ObjectStore(
            provider.GetRequiredService<IObjectIndex>(),
            provider.GetRequiredKeyedService<IArtifactStore>(ArtifactStoreKeys.Objects),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<ObjectLimits>()));
        services.AddSingleton<DataUris>();
        return services;
    }
}
