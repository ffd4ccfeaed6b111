using Kiln.Core.Artifacts;
using Kiln.Core.Common;

namespace Kiln.Core.Tests.Artifacts;

public sealed class ArtifactPathTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("model", "model")]
    [InlineData("model/MLmodel", "model/MLmodel")]
    [InlineData("a//b/", "a/b")]
    [InlineData("dir/file..txt", "dir/file..txt")]
    [InlineData("a/%20b", "a/ b")]
    public void Normalizes_safe_paths(string? path, string expected) => Assert.Equal(expected, ArtifactPath.Normalize(path));

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("a/./b")]
    [InlineData("/etc/passwd")]
    [InlineData("\\windows")]
    [InlineData("a\\..\\b")]
    [InlineData("C:/x")]
    [InlineData("s3://bucket/key")]
    [InlineData("%2e%2e/x")]
    [InlineData("a/%2E%2E/%2E%2E/x")]
    [InlineData("%2Fetc")]
    [InlineData("a\u0000b")]
    public void Refuses_paths_that_could_escape(string path)
    {
        var error = Assert.Throws<KilnException>(() => ArtifactPath.Normalize(path));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
    }
}
