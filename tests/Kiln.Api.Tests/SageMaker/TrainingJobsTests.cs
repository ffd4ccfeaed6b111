using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Training jobs through boto3: S3 upload, CreateTrainingJob, the waiter, the model back, the MLflow run.</summary>
public sealed class TrainingJobsTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_xgboost_on_breast_cancer_end_to_end")]
    [InlineData("test_duplicate_name_is_resource_in_use")]
    [InlineData("test_bad_hyperparameters_and_missing_channel_are_validation_exceptions")]
    [InlineData("test_bad_data_fails_the_job_naming_file_line_and_column")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_training.py", test);
}
