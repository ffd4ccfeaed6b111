using Kiln.Core.Common;

namespace Kiln.Core.Tests.Common;

/// <summary>The file:// policy: canonical paths (.., links), roots, Kiln's own folder, and the allow-all default.</summary>
public sealed class FileRootsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kiln-fileroots-" + Guid.NewGuid().ToString("N"));

    public FileRootsTests()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "root", "data"));
        Directory.CreateDirectory(Path.Combine(_folder, "outside"));
        File.WriteAllText(Path.Combine(_folder, "outside", "secret.txt"), "secret");
        File.WriteAllText(Path.Combine(_folder, "root", "data", "train.csv"), "1,2");
    }

    private string Root => Path.Combine(_folder, "root");

    private FileRoots Policy => FileRoots.Only([Root], [Path.Combine(Root, ".kiln")]);

    [Fact]
    public void Dot_dot_segments_are_applied()
    {
        Assert.Equal(Path.Combine(_folder, "outside", "secret.txt"), FileRoots.Canonicalize(Root + "/data/../../outside/./secret.txt"));
    }

    [Fact]
    public void A_link_is_followed_and_dot_dot_after_it_climbs_from_its_target()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "link"), Path.Combine(_folder, "outside"));
        Assert.Equal(Path.Combine(_folder, "outside", "secret.txt"), FileRoots.Canonicalize(Root + "/link/secret.txt"));
        Assert.Equal(_folder, FileRoots.Canonicalize(Root + "/link/.."));
    }

    [Fact]
    public void A_relative_link_resolves_from_its_folder()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "data", "up"), "../../outside");
        Assert.Equal(Path.Combine(_folder, "outside"), FileRoots.Canonicalize(Root + "/data/up"));
    }

    [Fact]
    public void Paths_that_do_not_exist_yet_are_kept()
    {
        Assert.Equal(Root + "/new/output", FileRoots.Canonicalize(Root + "/new//output/"));
    }

    [Fact]
    public void A_link_loop_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "a"), Path.Combine(Root, "b"));
        File.CreateSymbolicLink(Path.Combine(Root, "b"), Path.Combine(Root, "a"));
        Assert.Throws<KilnException>(() => FileRoots.Canonicalize(Root + "/a/x"));
    }

    [Fact]
    public void A_file_under_a_root_is_allowed_and_named_canonically()
    {
        Assert.Equal(Root + "/data/train.csv", Policy.LocalPath($"file://{Root}/data/./train.csv"));
        Policy.Check($"file://{Root}/data/train.csv", "Channel");
        Policy.Check("s3://bucket/anything", "Channel");
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("file://{root}/../outside/secret.txt")]
    [InlineData("file://{root}/data/%2e%2e/%2e%2e/outside/secret.txt")]
    [InlineData("file://{root}/link/secret.txt")]
    [InlineData("file://{root}/.kiln/kiln.db")]
    [InlineData("file://{root}2/file")]
    public void Paths_leaving_the_roots_are_refused_with_the_uri_and_the_roots(string uri)
    {
        File.CreateSymbolicLink(Path.Combine(Root, "link"), Path.Combine(_folder, "outside"));
        uri = uri.Replace("{root}", Root, StringComparison.Ordinal);
        var error = Assert.Throws<KilnException>(() => Policy.Check(uri, "ModelDataUrl"));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
        Assert.Contains(uri, error.Message, StringComparison.Ordinal);
        Assert.Contains(uri.Contains(".kiln", StringComparison.Ordinal) ? "Kiln's data folder" : Root, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_roots_refuses_every_file_uri()
    {
        var error = Assert.Throws<KilnException>(() => FileRoots.Only([], []).Check($"file://{Root}/data/train.csv", "Channel"));
        Assert.Contains("none are configured", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_all_keeps_the_path_as_written()
    {
        Assert.True(FileRoots.AllowAll.AllowsAll);
        Assert.Equal("/etc/passwd", FileRoots.AllowAll.LocalPath("file:///etc/passwd"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
