using Kiln.Core.Tracking;
using Kiln.Storage.Sqlite.Tracking;
using Kiln.Storage.Tests.Contracts;
using Kiln.Storage.Tests.Sqlite;
using Xunit.Sdk;

namespace Kiln.Storage.Tests.Broken;

/// <summary>Runs contract tests against <see cref="BrokenTrackingStore"/>: the ones about its bugs must fail.</summary>
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

    private static Task Invoke(TrackingStoreContract contract, string test) =>
        (Task)typeof(TrackingStoreContract).GetMethod(test)!.Invoke(contract, null)!;

    // Not public, so xunit does not discover the inherited tests and run them as (failing) tests of their own.
    private sealed class BrokenTrackingStoreContract : TrackingStoreContract, IDisposable
    {
        private readonly SqliteTestDatabase _database = new();

        protected override ITrackingStore CreateStore() =>
            new BrokenTrackingStore(new SqliteTrackingStore(_database.Database, "mlflow-artifacts:", TimeProvider.System));

        public void Dispose() => _database.Dispose();
    }
}
