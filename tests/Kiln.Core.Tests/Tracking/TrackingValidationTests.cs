using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Core.Tests.Tracking;

public sealed class TrackingValidationTests
{
    [Theory]
    [InlineData("a/b", "a/b")]
    [InlineData("a//b", "a/b")]
    [InlineData("a/./b", "a/b")]
    [InlineData("a/../b", "b")]
    [InlineData("../a", "../a")]
    [InlineData("/a/../..", "/")]
    [InlineData("", ".")]
    [InlineData("a/", "a")]
    public void Posix_normalize_matches_posixpath(string path, string expected) =>
        Assert.Equal(expected, TrackingValidation.PosixNormalize(path));

    [Theory]
    [InlineData("train/loss")]
    [InlineData("val acc")]
    [InlineData("a-b_c.d:e")]
    public void Accepts_mlflow_key_names(string name) => TrackingValidation.MetricName(name);

    [Theory]
    [InlineData("a*b", "Names may only contain")]
    [InlineData("a/../b", "would resolve to 'b'")]
    [InlineData("/abs", "would resolve to")]
    [InlineData("trailing/", "would resolve to")]
    public void Refuses_bad_key_names(string name, string message)
    {
        var error = Assert.Throws<KilnException>(() => TrackingValidation.ParamName(name));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_limits_count_each_kind_and_the_total()
    {
        TrackingValidation.BatchLimits(1000, 0, 0);
        Assert.Throws<KilnException>(() => TrackingValidation.BatchLimits(1001, 0, 0));
        Assert.Throws<KilnException>(() => TrackingValidation.BatchLimits(0, 101, 0));
        Assert.Throws<KilnException>(() => TrackingValidation.BatchLimits(0, 0, 101));
        Assert.Throws<KilnException>(() => TrackingValidation.BatchLimits(900, 100, 1));
    }

    [Fact]
    public void Page_tokens_round_trip_and_refuse_garbage()
    {
        Assert.Equal(42, PageToken.Decode(PageToken.Encode(42)));
        Assert.Equal(0, PageToken.Decode(null));
        Assert.Throws<KilnException>(() => PageToken.Decode("%%%"));
        Assert.Throws<KilnException>(() => PageToken.Decode(Convert.ToBase64String("{\"offset\": -1}"u8.ToArray())));
    }
}
