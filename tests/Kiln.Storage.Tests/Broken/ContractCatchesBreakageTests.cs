using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Storage.Sqlite.Tracking;
using Kiln.Storage.Tests.Contracts;
using Kiln.Storage.Tests.Sqlite;
using Xunit.Sdk;

namespace Kiln.Storage.Tests.Broken;

/// <summary>Runs contract tests against deliberately broken stores: the tests about their bugs must fail, the others pass.</summary>
public sealed class ContractCatchesBreakageTests
{
    [Theory]
    [InlineData(nameof(TrackingStoreContract.Searching_experiments_pages_through_every_one_exactly_once_newest_first))]
    [InlineData(nameof(TrackingStoreContract.Metric_history_pages_through_every_point_exactly_once_in_time_order))]
    [InlineData(nameof(TrackingStoreContract.Searching_runs_pages_newest_first_and_filters))]
    [InlineData(nameof(TrackingStoreContract.Parallel_writers_to_one_run_lose_nothing))]
    public async Task The_tracking_contract_fails_a_store_that_ignores_page_tokens_or_loses_writes(string test)
    {
        using var contract = new BrokenTrackingStoreContract();

        await Assert.ThrowsAnyAsync<XunitException>(() => Invoke(contract, test));
    }

    [Theory]
    [InlineData(nameof(TrackingStoreContract.An_experiment_round_trips_every_field))]
    [InlineData(nameof(TrackingStoreContract.Changing_a_param_fails_and_the_whole_batch_is_rolled_back))]
    public async Task The_tracking_contract_still_passes_what_the_broken_store_gets_right(string test)
    {
        using var contract = new BrokenTrackingStoreContract();

        await Invoke(contract, test);
    }

    [Theory]
    [InlineData(nameof(TrainingJobStoreContract.Listing_pages_through_every_item_exactly_once_newest_first))]
    [InlineData(nameof(TrainingJobStoreContract.Parallel_updates_of_one_item_lose_no_change))]
    [InlineData(nameof(TrainingJobStoreContract.A_nested_filter_holds_only_when_one_element_meets_all_its_conditions))]
    public async Task The_training_job_contract_fails_an_in_memory_store_that_ignores_page_tokens_loses_updates_or_splits_nested_filters(string test)
    {
        await Assert.ThrowsAnyAsync<XunitException>(() => Invoke(new BrokenTrainingJobStoreContract(), test));
    }

    [Theory]
    [InlineData(nameof(TrainingJobStoreContract.An_item_round_trips_every_field))]
    [InlineData(nameof(TrainingJobStoreContract.Creating_a_taken_name_is_resource_in_use))]
    [InlineData(nameof(TrainingJobStoreContract.Listing_filters_by_name_status_and_times))]
    [InlineData(nameof(TrainingJobStoreContract.Listing_sorts_by_name_or_creation_time_either_way))]
    [InlineData(nameof(TrainingJobStoreContract.A_bad_page_token_is_an_invalid_parameter))]
    [InlineData(nameof(TrainingJobStoreContract.Update_of_a_missing_item_or_a_declined_change_writes_nothing))]
    [InlineData(nameof(TrainingJobStoreContract.Search_finds_jobs_by_hyperparameter_final_metric_tag_and_channel))]
    [InlineData(nameof(TrainingJobStoreContract.Search_compares_numbers_and_times_by_value_and_text_by_ordinal))]
    [InlineData(nameof(TrainingJobStoreContract.Search_tests_presence_absence_inequality_and_lists_of_values))]
    [InlineData(nameof(TrainingJobStoreContract.Search_combines_filters_with_and_and_or))]
    [InlineData(nameof(TrainingJobStoreContract.Search_orders_by_any_path_numbers_by_value_missing_values_first))]
    [InlineData(nameof(TrainingJobStoreContract.Search_pages_through_every_match_exactly_once_in_order))]
    [InlineData(nameof(TrainingJobStoreContract.A_search_that_cannot_be_evaluated_is_an_invalid_parameter))]
    public async Task The_training_job_contract_still_passes_what_the_in_memory_store_gets_right(string test)
    {
        await Invoke(new BrokenTrainingJobStoreContract(), test);
    }

    private static Task Invoke(object contract, string test) =>
        (Task)contract.GetType().GetMethod(test)!.Invoke(contract, null)!;

    private sealed class BrokenTrainingJobStoreContract : TrainingJobStoreContract
    {
        protected override ITrainingJobStore CreateStore() => new BrokenInMemoryTrainingJobStore();
    }

    // Not public, so xunit does not discover the inherited tests and run them as (failing) tests of their own.
    private sealed class BrokenTrackingStoreContract : TrackingStoreContract, IDisposable
    {
        private readonly SqliteTestDatabase _database = new();

        protected override ITrackingStore CreateStore() =>
            new BrokenTrackingStore(new SqliteTrackingStore(_database.Database, "mlflow-artifacts:", TimeProvider.System));

        public void Dispose() => _database.Dispose();
    }
}
