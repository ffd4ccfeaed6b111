using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// The SageMaker Python SDK's monitor and Clarify classes, called as users call them (tests/clients/sagemaker-sdk/monitors.py),
/// against an in-process Kiln. Skipped unless KILN_SAGEMAKER_SDK names a folder laid out by tools/sagemaker-sdk/setup.sh.
/// </summary>
public sealed class SageMakerSdkMonitorTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [SageMakerSdkTheory]
    [InlineData("data_quality")]
    [InlineData("inline")]
    [InlineData("model_quality")]
    [InlineData("bias")]
    [InlineData("explainability")]
    [InlineData("clarify")]
    [InlineData("region")]
    public Task Section(string section) => SageMakerSdk.RunMonitorsAsync(server.BaseAddress, section, TimeSpan.FromMinutes(10));
}
