using Amazon.S3;
using Kiln.Core.Artifacts;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Artifacts.S3;

public static class S3ServiceCollectionExtensions
{
    /// <summary>
    /// Artifact bytes in S3, one prefix per store under the location's: <c>artifacts/</c> (MLflow run artifacts),
    /// <c>objects/</c> (the bytes behind Kiln's S3 API: model data, capture, reports, job outputs) and
    /// <c>upload-parts/</c>. As with local files, no store can reach another's keys.
    /// </summary>
    public static IServiceCollection AddKilnS3Artifacts(this IServiceCollection services, S3ArtifactLocation location)
    {
        services.AddSingleton(location);
        services.AddSingleton<IAmazonS3>(_ => location.CreateClient());
        services.AddSingleton<IArtifactStore>(provider => location.Store(provider.GetRequiredService<IAmazonS3>(), "artifacts"));
        services.AddKeyedSingleton<IArtifactStore>(ArtifactStoreKeys.Objects, (provider, _) => location.Store(provider.GetRequiredService<IAmazonS3>(), "objects"));
        services.AddKeyedSingleton<IArtifactStore>(ArtifactStoreKeys.UploadParts, (provider, _) => location.Store(provider.GetRequiredService<IAmazonS3>(), "upload-parts"));
        return services;
    }
}
