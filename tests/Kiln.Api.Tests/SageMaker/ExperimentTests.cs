using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Experiments, trials, trial components and Search through boto3 (tests/clients/boto3/sagemaker_experiments.py).</summary>
public sealed class ExperimentTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_experiments_trials_and_components_are_mlflow_experiments_and_runs")]
    [InlineData("test_training_jobs_land_in_their_trial_and_search_finds_them")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_experiments.py", test, TimeSpan.FromMinutes(5));
}
