using Kiln.Artifacts.FileSystem;
using Kiln.Core.Artifacts;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Artifacts;

/// <summary>The artifact contract on local files: each store a fresh folder under the temp directory.</summary>
public sealed class FileSystemArtifactStoreTests : ArtifactStoreContract, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-artifact-contract", Guid.NewGuid().ToString("N"));

    protected override IArtifactStore CreateStore() => new FileSystemArtifactStore(Path.Combine(_root, Guid.NewGuid().ToString("N")));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
