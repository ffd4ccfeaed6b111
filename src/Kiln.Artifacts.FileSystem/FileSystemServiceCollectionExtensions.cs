using Kiln.Core.Artifacts;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Artifacts.FileSystem;

public static class FileSystemServiceCollectionExtensions
{
    /// <summary>
    /// Artifact bytes on the local file system, one folder per store: MLflow run artifacts (the default store),
    /// object bytes, and the parts of multipart uploads. Each tree is separate, so no store can reach another's files.
    /// </summary>
    public static IServiceCollection AddKilnFileArtifacts(this IServiceCollection services, string artifactDirectory, string objectDirectory, string uploadPartDirectory)
    {
        services.AddSingleton<IArtifactStore>(_ => new FileSystemArtifactStore(artifactDirectory));
        services.AddKeyedSingleton<IArtifactStore>(ArtifactStoreKeys.Objects, (_, _) => new FileSystemArtifactStore(objectDirectory));
        services.AddKeyedSingleton<IArtifactStore>(ArtifactStoreKeys.UploadParts, (_, _) => new FileSystemArtifactStore(uploadPartDirectory));
        return services;
    }
}
