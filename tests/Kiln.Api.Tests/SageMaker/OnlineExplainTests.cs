using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Clarify online explainability on endpoints through boto3 (tests/clients/boto3/sagemaker_online_explain.py).</summary>
public sealed class OnlineExplainTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_attributions_add_up_and_the_expression_picks_records")]
    [InlineData("test_bad_explainer_configs_are_refused_and_nothing_is_stored")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_online_explain.py", test, TimeSpan.FromMinutes(5));
}
