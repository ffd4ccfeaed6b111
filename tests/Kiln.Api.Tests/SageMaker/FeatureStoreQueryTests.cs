using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// SQL over the feature store's offline store through boto3's athena client (tests/clients/boto3/feature_store_athena.py),
/// and point-in-time training sets through Kiln's API (tests/clients/boto3/feature_store_datasets.py).
/// </summary>
public sealed class FeatureStoreQueryTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_athena_query_as_the_sdk_runs_it")]
    [InlineData("test_athena_empty_group_and_idempotency")]
    [InlineData("test_athena_failures_and_errors")]
    [InlineData("test_athena_stop")]
    public Task Athena(string test) => Boto3.RunAsync(server.BaseAddress, "feature_store_athena.py", test);

    [Theory]
    [InlineData("test_point_in_time_join_has_no_leakage")]
    [InlineData("test_bad_dataset_requests_write_nothing")]
    [InlineData("test_training_job_reading_a_dataset_extends_its_lineage")]
    public Task Datasets(string test) => Boto3.RunAsync(server.BaseAddress, "feature_store_datasets.py", test);
}
