namespace Kiln.Core.Artifacts;

/// <summary>
/// Names of the artifact stores besides the default one (MLflow run artifacts), as keyed services: the storage
/// choice registers one store per key, and the areas that need one ask for it by key.
/// </summary>
public static class ArtifactStoreKeys
{
    /// <summary>The bytes of objects in Kiln's S3-compatible object store.</summary>
    public const string Objects = "objects";

    /// <summary>Parts of multipart artifact uploads, until they are completed or aborted.</summary>
    public const string UploadParts = "upload-parts";
}
