namespace Kiln.Api.Tests.Infrastructure;

/// <summary>A server started with <c>--allow-file-root</c> on a temp folder of its own: file:// URIs elsewhere are refused.</summary>
public sealed class FileRootServerFixture : KilnServerFixture
{
    public FileRootServerFixture()
        : this(Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N") + "-files"))
    {
    }

    private FileRootServerFixture(string root)
        : base(options => options with { AllowedFileRoots = [root] })
    {
        Directory.CreateDirectory(root);
        FileRoot = root;
    }

    public string FileRoot { get; }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(FileRoot, recursive: true);
    }
}
