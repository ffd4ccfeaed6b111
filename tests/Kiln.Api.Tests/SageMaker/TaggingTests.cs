using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>AddTags/ListTags/DeleteTags, duplicate-name errors, pipeline upsert and model package deployment through boto3 (tests/clients/boto3/sagemaker_tags.py).</summary>
public sealed class TaggingTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_tags_round_trip_on_every_resource_and_show_where_create_tags_show")]
    [InlineData("test_tag_errors")]
    [InlineData("test_duplicate_creates_answer_sagemakers_errors")]
    [InlineData("test_processing_transform_tuning_and_automl_jobs_tags_and_duplicates")]
    [InlineData("test_pipeline_upsert_as_the_sdk_does_it")]
    [InlineData("test_register_model_step_creates_its_group")]
    [InlineData("test_model_package_deploys_as_the_sdk_does_it")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_tags.py", test, TimeSpan.FromMinutes(5));
}
