using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Feature Store through boto3: feature groups (sagemaker) and records (sagemaker-featurestore-runtime), tests/clients/boto3/sagemaker_feature_store.py.</summary>
public sealed class FeatureStoreTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_control_plane")]
    [InlineData("test_create_errors")]
    [InlineData("test_put_get_and_event_time_rules")]
    [InlineData("test_bad_records_store_nothing")]
    [InlineData("test_batch_get_record")]
    [InlineData("test_ttl_expiry")]
    [InlineData("test_soft_and_hard_delete")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", test);
}
