using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Training and processing settings Kiln keeps without acting on them (stored, echoed, reported), and the ones it refuses. Script mode on several instances is DistributedTrainingTests.</summary>
public sealed class TrainingSettingsTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_settings_not_acted_on_are_stored_echoed_and_reported")]
    [InlineData("test_bad_settings_are_validation_exceptions")]
    [InlineData("test_processing_settings")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_training_settings.py", test);
}
