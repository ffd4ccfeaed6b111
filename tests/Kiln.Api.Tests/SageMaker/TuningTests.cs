using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Hyperparameter tuning through boto3: Bayesian with early stopping, grid, stop, Hyperband, warm start, bad input.</summary>
public sealed class TuningTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_bayesian_search_finds_the_best_trial_and_stops_hopeless_ones_early")]
    [InlineData("test_grid_search_tries_every_combination")]
    [InlineData("test_stop_ends_the_search_and_its_trials")]
    [InlineData("test_hyperband_stops_trials_at_its_rungs")]
    [InlineData("test_warm_start_from_a_parent")]
    [InlineData("test_bad_tuning_requests_are_validation_exceptions_and_create_nothing")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_tuning.py", test, TimeSpan.FromMinutes(5));
}
