using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="ITrackingStore"/> promises. A store binding derives from this class and only supplies
/// <see cref="CreateStore"/>, which must return a fresh, empty store (holding only MLflow's Default experiment).
/// </summary>
public abstract class TrackingStoreContract
{
    private ITrackingStore? _store;

    protected abstract ITrackingStore CreateStore();

    protected ITrackingStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_fresh_store_holds_only_the_default_experiment()
    {
        var page = await Store.SearchExperimentsAsync(new ExperimentQuery(ViewType.All, [], [], 100, null));

        var only = Assert.Single(page.Items);
        Assert.Equal("0", only.ExperimentId);
        Assert.Equal("Default", only.Name);
        Assert.Equal(LifecycleStage.Active, only.LifecycleStage);
        Assert.Null(page.NextPageToken);
    }

    [StoreFact]
    public async Task An_experiment_round_trips_every_field()
    {
        var id = await Store.CreateExperimentAsync("exp-a", "s3://bucket/a", [new Tag("team", "ml"), new Tag("owner", "ann")], 1_000);

        var byId = await Store.FindExperimentAsync(id);
        var byName = await Store.FindExperimentByNameAsync("exp-a");

        Assert.NotNull(byId);
        Assert.Equal(id, byId.ExperimentId);
        Assert.Equal("exp-a", byId.Name);
        Assert.Equal("s3://bucket/a", byId.ArtifactLocation);
        Assert.Equal(LifecycleStage.Active, byId.LifecycleStage);
        Assert.Equal(1_000, byId.CreationTime);
        Assert.Equal(1_000, byId.LastUpdateTime);
        Assert.Equal([new Tag("owner", "ann"), new Tag("team", "ml")], byId.Tags.OrderBy(tag => tag.Key));
        Assert.Equal(byId with { Tags = [] }, byName! with { Tags = [] });
        Assert.Equal(byId.Tags.OrderBy(tag => tag.Key), byName.Tags.OrderBy(tag => tag.Key));
    }

    [StoreFact]
    public async Task An_experiment_without_artifact_location_gets_one_under_its_own_id()
    {
        var id = await Store.CreateExperimentAsync("exp-default-location", null, [], 1);
        var other = await Store.CreateExperimentAsync("exp-other", null, [], 1);

        var location = (await Store.FindExperimentAsync(id))!.ArtifactLocation;
        Assert.EndsWith("/" + id, location, StringComparison.Ordinal);
        Assert.NotEqual(location, (await Store.FindExperimentAsync(other))!.ArtifactLocation);
    }

    [StoreFact]
    public async Task Unknown_experiments_are_not_found()
    {
        Assert.Null(await Store.FindExperimentAsync("987654"));
        Assert.Null(await Store.FindExperimentAsync("not-a-number"));
        Assert.Null(await Store.FindExperimentByNameAsync("nobody"));
    }

    [StoreFact]
    public async Task Experiment_names_are_unique_even_among_deleted_experiments()
    {
        var id = await Store.CreateExperimentAsync("taken", null, [], 1);
        await StoreAssert.FailsWith(ErrorCode.ResourceAlreadyExists, () => Store.CreateExperimentAsync("taken", null, [], 2));

        await Store.SetExperimentLifecycleAsync(id, LifecycleStage.Deleted, 3);
        await StoreAssert.FailsWith(ErrorCode.ResourceAlreadyExists, () => Store.CreateExperimentAsync("taken", null, [], 4));
        var other = await Store.CreateExperimentAsync("other", null, [], 5);
        await StoreAssert.FailsWith(ErrorCode.ResourceAlreadyExists, () => Store.RenameExperimentAsync(other, "taken", 6));
        Assert.Equal("other", (await Store.FindExperimentAsync(other))!.Name);
    }

    [StoreFact]
    public async Task Renaming_an_experiment_changes_its_name_and_update_time()
    {
        var id = await Store.CreateExperimentAsync("before", null, [], 10);

        await Store.RenameExperimentAsync(id, "after", 20);

        var renamed = await Store.FindExperimentAsync(id);
        Assert.Equal("after", renamed!.Name);
        Assert.Equal(10, renamed.CreationTime);
        Assert.Equal(20, renamed.LastUpdateTime);
        Assert.Null(await Store.FindExperimentByNameAsync("before"));
        Assert.Equal(id, (await Store.FindExperimentByNameAsync("after"))!.ExperimentId);
    }

    [StoreFact]
    public async Task Experiment_tags_are_set_overwritten_and_deleted()
    {
        var id = await Store.CreateExperimentAsync("tagged", null, [new Tag("a", "1")], 1);

        await Store.SetExperimentTagAsync(id, new Tag("a", "2"), 2);
        await Store.SetExperimentTagAsync(id, new Tag("b", "3"), 3);
        await Store.DeleteExperimentTagAsync(id, "b", 4);

        var experiment = await Store.FindExperimentAsync(id);
        Assert.Equal([new Tag("a", "2")], experiment!.Tags);
        Assert.Equal(4, experiment.LastUpdateTime);
    }

    [StoreFact]
    public async Task Searching_experiments_pages_through_every_one_exactly_once_newest_first()
    {
        var created = new List<string>();
        for (var i = 0; i < 11; i++)
        {
            created.Add(await Store.CreateExperimentAsync($"paged-{i:D2}", null, [], 100 + i));
        }

        var seen = await Paging.All(token => Store.SearchExperimentsAsync(new ExperimentQuery(
            ViewType.ActiveOnly, [new FilterClause(SearchEntity.Attribute, "name", Comparator.Like, new FilterValue.Text("paged-%"))], [], 3, token)), 3);

        var expected = created.AsEnumerable().Reverse().ToList();
        Assert.Equal(expected, seen.Select(experiment => experiment.ExperimentId));
    }

    [StoreFact]
    public async Task Searching_experiments_filters_orders_and_honours_the_view_type()
    {
        var alpha = await Store.CreateExperimentAsync("alpha", null, [new Tag("kind", "x")], 1);
        var beta = await Store.CreateExperimentAsync("beta", null, [new Tag("kind", "y")], 2);
        var gamma = await Store.CreateExperimentAsync("gamma", null, [new Tag("kind", "x")], 3);
        await Store.SetExperimentLifecycleAsync(gamma, LifecycleStage.Deleted, 4);

        var byName = await Store.SearchExperimentsAsync(new ExperimentQuery(
            ViewType.All, [new FilterClause(SearchEntity.Tag, "kind", Comparator.Equal, new FilterValue.Text("x"))],
            [new OrderByClause(SearchEntity.Attribute, "name", true)], 10, null));
        Assert.Equal([alpha, gamma], byName.Items.Select(experiment => experiment.ExperimentId));

        var deleted = await Store.SearchExperimentsAsync(new ExperimentQuery(ViewType.DeletedOnly, [], [], 10, null));
        Assert.Equal([gamma], deleted.Items.Select(experiment => experiment.ExperimentId));

        var active = await Store.SearchExperimentsAsync(new ExperimentQuery(
            ViewType.ActiveOnly, [], [new OrderByClause(SearchEntity.Attribute, "name", false)], 10, null));
        Assert.Equal([beta, alpha, "0"], active.Items.Select(experiment => experiment.ExperimentId));
    }

    [StoreFact]
    public async Task A_bad_page_token_is_an_invalid_parameter()
    {
        var runId = await NewRunAsync("bad-token");

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue,
            () => Store.SearchExperimentsAsync(new ExperimentQuery(ViewType.All, [], [], 3, "not a token")));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue,
            () => Store.GetMetricHistoryAsync(runId, "loss", 3, "%%%"));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue,
            () => Store.SearchRunsAsync(new RunQuery(["0"], [], ViewType.All, [], 3, "bm9wZQ==")));
    }

    [StoreFact]
    public async Task A_run_round_trips_every_field()
    {
        var experiment = await Store.CreateExperimentAsync("runs", null, [], 1);

        var created = await Store.CreateRunAsync(new NewRun("run-1", experiment, "brave-fox", "ann", 5_000, [new Tag("stage", "dev")], "s3://b/run-1"));
        var found = await Store.FindRunAsync("run-1");

        foreach (var run in new[] { created, found! })
        {
            Assert.Equal(new RunInfo("run-1", experiment, "brave-fox", "ann", RunStatus.Running, 5_000, null, "s3://b/run-1", LifecycleStage.Active), run.Info);
            Assert.Contains(new Tag("stage", "dev"), run.Data.Tags);
            Assert.Empty(run.Data.Metrics);
            Assert.Empty(run.Data.Params);
            Assert.Empty(run.Inputs);
        }

        Assert.Null(await Store.FindRunAsync("no-such-run"));
    }

    [StoreFact]
    public async Task Updating_a_run_changes_only_what_is_given()
    {
        var runId = await NewRunAsync("update");

        var finished = await Store.UpdateRunAsync(runId, RunStatus.Finished, 9_000, null);
        var renamed = await Store.UpdateRunAsync(runId, null, null, "renamed");

        Assert.Equal(RunStatus.Finished, finished.Status);
        Assert.Equal(9_000, finished.EndTime);
        Assert.Equal(finished with { RunName = "renamed" }, renamed);
        var run = await Store.FindRunAsync(runId);
        Assert.Equal(renamed, run!.Info);
        Assert.Contains(new Tag(SystemTags.RunName, "renamed"), run.Data.Tags);
    }

    [StoreFact]
    public async Task Writing_to_a_missing_or_deleted_run_fails_with_the_mlflow_codes()
    {
        await StoreAssert.FailsWith(ErrorCode.ResourceDoesNotExist, () => Store.UpdateRunAsync("ghost", RunStatus.Failed, 1, null));
        await StoreAssert.FailsWith(ErrorCode.ResourceDoesNotExist, () => Store.LogBatchAsync("ghost", [], [new Param("p", "1")], []));

        var runId = await NewRunAsync("deleted");
        await Store.SetRunLifecycleAsync(runId, LifecycleStage.Deleted, 2);
        Assert.Equal(LifecycleStage.Deleted, (await Store.FindRunAsync(runId))!.Info.LifecycleStage);
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.UpdateRunAsync(runId, RunStatus.Failed, 1, null));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.LogBatchAsync(runId, [], [new Param("p", "1")], []));

        await Store.SetRunLifecycleAsync(runId, LifecycleStage.Active, 3);
        await Store.LogBatchAsync(runId, [], [new Param("p", "1")], []);
        await StoreAssert.FailsWith(ErrorCode.ResourceDoesNotExist, () => Store.DeleteTagAsync(runId, "no-such-tag"));
    }

    [StoreFact]
    public async Task Deleting_and_restoring_an_experiment_carries_its_runs()
    {
        var experiment = await Store.CreateExperimentAsync("carried", null, [], 1);
        await Store.CreateRunAsync(new NewRun("carried-run", experiment, "r", "u", 1, [], "a"));

        await Store.SetExperimentLifecycleAsync(experiment, LifecycleStage.Deleted, 2);
        Assert.Equal(LifecycleStage.Deleted, (await Store.FindRunAsync("carried-run"))!.Info.LifecycleStage);

        await Store.SetExperimentLifecycleAsync(experiment, LifecycleStage.Active, 3);
        Assert.Equal(LifecycleStage.Active, (await Store.FindRunAsync("carried-run"))!.Info.LifecycleStage);
    }

    [StoreFact]
    public async Task A_batch_lands_metrics_params_and_tags_and_the_run_shows_each_metrics_latest_point()
    {
        var runId = await NewRunAsync("batch");

        await Store.LogBatchAsync(runId,
            [new Metric("loss", 0.9, 100, 0), new Metric("loss", 0.5, 50, 2), new Metric("loss", 0.7, 200, 1), new Metric("acc", 0.8, 10, 0)],
            [new Param("lr", "0.1"), new Param("depth", "6")],
            [new Tag("note", "first")]);
        await Store.LogBatchAsync(runId, [], [new Param("lr", "0.1")], [new Tag("note", "second")]);

        var run = await Store.FindRunAsync(runId);
        Assert.Equal([new Metric("acc", 0.8, 10, 0), new Metric("loss", 0.5, 50, 2)], run!.Data.Metrics.OrderBy(metric => metric.Key));
        Assert.Equal([new Param("depth", "6"), new Param("lr", "0.1")], run.Data.Params.OrderBy(param => param.Key));
        Assert.Contains(new Tag("note", "second"), run.Data.Tags);
        Assert.DoesNotContain(new Tag("note", "first"), run.Data.Tags);
    }

    [StoreFact]
    public async Task Changing_a_param_fails_and_the_whole_batch_is_rolled_back()
    {
        var runId = await NewRunAsync("atomic");
        await Store.LogBatchAsync(runId, [], [new Param("lr", "0.1")], []);

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.LogBatchAsync(runId,
            [new Metric("loss", 1, 1, 1)], [new Param("new", "x"), new Param("lr", "0.2")], [new Tag("t", "v")]));

        var run = await Store.FindRunAsync(runId);
        Assert.Equal([new Param("lr", "0.1")], run!.Data.Params);
        Assert.Empty(run.Data.Metrics);
        Assert.DoesNotContain(run.Data.Tags, tag => tag.Key == "t");
        Assert.Empty((await Store.GetMetricHistoryAsync(runId, "loss", 10, null)).Items);
    }

    [StoreFact]
    public async Task Metric_history_pages_through_every_point_exactly_once_in_time_order()
    {
        var runId = await NewRunAsync("history");
        var points = Enumerable.Range(0, 25).Select(i => new Metric("loss", 1.0 / (i + 1), 1_000 + (i * 7 % 25), i)).ToList();
        await Store.LogBatchAsync(runId, points, [], []);
        await Store.LogBatchAsync(runId, [new Metric("other", 1, 1, 1)], [], []);

        var seen = await Paging.All(token => Store.GetMetricHistoryAsync(runId, "loss", 10, token), 10);

        Assert.Equal(points.OrderBy(point => point.Timestamp).ThenBy(point => point.Step), seen);
        Assert.Empty((await Store.GetMetricHistoryAsync(runId, "missing", 10, null)).Items);
    }

    [StoreFact]
    public async Task Searching_runs_pages_newest_first_and_filters()
    {
        var experiment = await Store.CreateExperimentAsync("search", null, [], 1);
        for (var i = 0; i < 9; i++)
        {
            await Store.CreateRunAsync(new NewRun($"run-{i}", experiment, $"name-{i}", "u", 1_000 + i, [], "a"));
            await Store.LogBatchAsync($"run-{i}", [new Metric("score", i, 1, 0)], [new Param("parity", (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture))], []);
        }

        await Store.SetRunLifecycleAsync("run-8", LifecycleStage.Deleted, 5);

        var all = await Paging.All(token => Store.SearchRunsAsync(new RunQuery([experiment], [], ViewType.ActiveOnly, [], 2, token)), 2);
        Assert.Equal(Enumerable.Range(0, 8).Reverse().Select(i => $"run-{i}"), all.Select(run => run.Info.RunId));

        var even = await Store.SearchRunsAsync(new RunQuery([experiment],
            [new FilterClause(SearchEntity.Param, "parity", Comparator.Equal, new FilterValue.Text("0"))], ViewType.All,
            [new OrderByClause(SearchEntity.Attribute, "start_time", true)], 10, null));
        Assert.Equal(["run-0", "run-2", "run-4", "run-6", "run-8"], even.Items.Select(run => run.Info.RunId));

        var high = await Store.SearchRunsAsync(new RunQuery([experiment],
            [new FilterClause(SearchEntity.Metric, "score", Comparator.Greater, new FilterValue.Number(5))], ViewType.ActiveOnly,
            [new OrderByClause(SearchEntity.Metric, "score", false)], 10, null));
        Assert.Equal(["run-7", "run-6"], high.Items.Select(run => run.Info.RunId));

        Assert.Empty((await Store.SearchRunsAsync(new RunQuery(["0"], [], ViewType.All, [], 10, null))).Items);
    }

    [StoreFact]
    public async Task Unknown_search_keys_and_duplicate_orderings_are_invalid_parameters()
    {
        var runId = await NewRunAsync("keys");
        var experiment = (await Store.FindRunAsync(runId))!.Info.ExperimentId;

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchExperimentsAsync(new ExperimentQuery(
            ViewType.All, [new FilterClause(SearchEntity.Attribute, "colour", Comparator.Equal, new FilterValue.Text("x"))], [], 10, null)));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchExperimentsAsync(new ExperimentQuery(
            ViewType.All, [], [new OrderByClause(SearchEntity.Attribute, "colour", true)], 10, null)));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchRunsAsync(new RunQuery(
            [experiment], [new FilterClause(SearchEntity.Attribute, "colour", Comparator.Equal, new FilterValue.Text("x"))], ViewType.All, [], 10, null)));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchRunsAsync(new RunQuery(
            [experiment], [], ViewType.All,
            [new OrderByClause(SearchEntity.Attribute, "start_time", true), new OrderByClause(SearchEntity.Attribute, "start_time", false)], 10, null)));
        await StoreAssert.FailsWith(ErrorCode.ResourceDoesNotExist, () => Store.RenameExperimentAsync("not-a-number", "x", 1));
    }

    [StoreFact]
    public async Task Dataset_inputs_round_trip_and_logging_the_same_one_twice_keeps_one()
    {
        var runId = await NewRunAsync("inputs");
        var input = new DatasetInput(new Dataset("iris", "abc123", "local", "{\"uri\":\"/data\"}", "{\"cols\":[]}", null), [new Tag("mlflow.data.context", "training")]);

        await Store.LogInputsAsync(runId, [input]);
        await Store.LogInputsAsync(runId, [input]);

        var logged = Assert.Single((await Store.FindRunAsync(runId))!.Inputs);
        Assert.Equal(input.Dataset, logged.Dataset);
        Assert.Equal(input.Tags, logged.Tags);
    }

    [StoreFact]
    public async Task Parallel_writers_to_one_run_lose_nothing()
    {
        var runId = await NewRunAsync("parallel");
        const int Writers = 8;
        const int PointsEach = 20;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < PointsEach; i++)
            {
                await Store.LogBatchAsync(runId,
                    [new Metric("loss", writer + (i / 100.0), (writer * PointsEach) + i, i)],
                    [new Param($"p-{writer}-{i}", "v")],
                    [new Tag($"t-{writer}", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            }
        })));

        var history = await Paging.All(token => Store.GetMetricHistoryAsync(runId, "loss", 1_000, token), 1_000);
        Assert.Equal(Writers * PointsEach, history.Count);
        var run = await Store.FindRunAsync(runId);
        Assert.Equal(Writers * PointsEach, run!.Data.Params.Count);
        for (var writer = 0; writer < Writers; writer++)
        {
            Assert.Contains(new Tag($"t-{writer}", (PointsEach - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), run.Data.Tags);
        }
    }

    private async Task<string> NewRunAsync(string name)
    {
        var experiment = await Store.CreateExperimentAsync("exp-" + name, null, [], 1);
        var runId = "run-" + name;
        await Store.CreateRunAsync(new NewRun(runId, experiment, name, "tester", 1, [], "a"));
        return runId;
    }
}
