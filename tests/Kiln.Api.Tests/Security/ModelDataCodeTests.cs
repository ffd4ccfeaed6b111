using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Security;

/// <summary>A model whose data holds code/inference.py runs that script, so creating it needs the right to run code.</summary>
public sealed class ModelDataCodeTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public Task A_user_without_the_right_cannot_create_a_model_with_packaged_code() =>
        Boto3.RunAsync(server.BaseAddress, "model_code.py", "test_refused_without_the_right", TimeSpan.FromMinutes(3), server.Reader.User.AccessKeyId, server.Reader.SecretAccessKey);

    [Fact]
    public Task A_user_with_the_right_can() =>
        Boto3.RunAsync(server.BaseAddress, "model_code.py", "test_allowed_with_the_right", TimeSpan.FromMinutes(3), server.Coder.User.AccessKeyId, server.Coder.SecretAccessKey);
}
