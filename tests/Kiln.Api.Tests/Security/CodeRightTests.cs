using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Security;

/// <summary>
/// Under <c>--auth</c>, running code is a right: boto3 as a user without it is refused script mode, processing and
/// pipelines with a script step, yet may train built-in XGBoost; a user with it may start script mode; file:// URIs
/// outside <c>--allow-file-root</c> (none here) are refused (tests/clients/boto3/code_right.py).
/// </summary>
public sealed class CodeRightTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Theory]
    [InlineData("test_script_mode_training_is_refused")]
    [InlineData("test_processing_is_refused")]
    [InlineData("test_pipeline_with_a_script_step_is_refused")]
    [InlineData("test_builtin_xgboost_is_allowed")]
    [InlineData("test_file_uris_are_refused")]
    public Task Without_the_right(string test) =>
        Boto3.RunAsync(server.BaseAddress, "code_right.py", test, TimeSpan.FromMinutes(3), server.Reader.User.AccessKeyId, server.Reader.SecretAccessKey);

    [Fact]
    public Task With_the_right() =>
        Boto3.RunAsync(server.BaseAddress, "code_right.py", "test_script_mode_with_the_right", TimeSpan.FromMinutes(3), server.Coder.User.AccessKeyId, server.Coder.SecretAccessKey);
}
