using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>file:// URIs only under --allow-file-root, through boto3 and MLflow's REST API (tests/clients/boto3/file_roots.py).</summary>
public sealed class FileRootsTests(FileRootServerFixture server) : IClassFixture<FileRootServerFixture>
{
    [Theory]
    [InlineData("test_model_data_outside_the_root_is_refused_and_not_stored")]
    [InlineData("test_training_channels_and_output_outside_the_root_are_refused")]
    [InlineData("test_processing_input_and_output_outside_the_root_are_refused")]
    [InlineData("test_transform_input_outside_the_root_is_refused")]
    [InlineData("test_dot_dot_and_a_link_out_of_the_root_are_refused")]
    [InlineData("test_a_link_inside_a_channel_folder_fails_the_job_without_copying")]
    [InlineData("test_a_channel_under_the_root_trains_end_to_end")]
    [InlineData("test_mlflow_experiment_artifact_location_outside_the_root_is_refused")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "file_roots.py", test, TimeSpan.FromMinutes(5), server.FileRoot);
}
