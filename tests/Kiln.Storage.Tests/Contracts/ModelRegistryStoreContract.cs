using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IModelRegistryStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.
/// </summary>
public abstract class ModelRegistryStoreContract
{
    private IModelRegistryStore? _store;

    protected abstract IModelRegistryStore CreateStore();

    protected IModelRegistryStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_registered_model_round_trips_every_field()
    {
        var created = await Store.CreateRegisteredModelAsync("churn", [new Tag("team", "ml")], "predicts churn", 1_000);
        var found = await Store.FindRegisteredModelAsync("churn");

        Assert.Equal(created with { Tags = [], LatestVersions = [], Aliases = [] }, found! with { Tags = [], LatestVersions = [], Aliases = [] });
        Assert.Equal("churn", found.Name);
        Assert.Equal(1_000, found.CreationTimestamp);
        Assert.Equal(1_000, found.LastUpdatedTimestamp);
        Assert.Equal("predicts churn", found.Description);
        Assert.Equal([new Tag("team", "ml")], found.Tags);
        Assert.Empty(found.LatestVersions);
        Assert.Empty(found.Aliases);
        Assert.Null(await Store.FindRegisteredModelAsync("nobody"));
    }

    [StoreFact]
    public async Task A_duplicate_model_name_already_exists_on_create_and_rename()
    {
        await Store.CreateRegisteredModelAsync("a", [], null, 1);
        await Store.CreateRegisteredModelAsync("b", [], null, 1);

        await StoreAssert.FailsWith(ErrorCode.ResourceAlreadyExists, () => Store.CreateRegisteredModelAsync("a", [], "again", 2));
        await StoreAssert.FailsWith(ErrorCode.ResourceAlreadyExists, () => Store.RenameRegisteredModelAsync("b", "a", 2));
        Assert.Null((await Store.FindRegisteredModelAsync("a"))!.Description);
        Assert.NotNull(await Store.FindRegisteredModelAsync("b"));
    }

    [StoreFact]
    public async Task Renaming_a_model_carries_its_versions_tags_and_aliases()
    {
        await Store.CreateRegisteredModelAsync("old", [new Tag("k", "v")], null, 1);
        await Store.CreateModelVersionAsync(NewVersion("old", 2));
        await Store.SetAliasAsync("old", "champion", 1);

        var renamed = await Store.RenameRegisteredModelAsync("old", "new", 3);

        Assert.Equal("new", renamed.Name);
        Assert.Equal(3, renamed.LastUpdatedTimestamp);
        Assert.Null(await Store.FindRegisteredModelAsync("old"));
        Assert.Equal([new Tag("k", "v")], renamed.Tags);
        Assert.Equal([new ModelAlias("champion", "1")], renamed.Aliases);
        Assert.Equal("new", (await Store.FindModelVersionAsync("new", 1))!.Name);
        Assert.Equal(1, await Store.FindAliasAsync("new", "champion"));
    }

    [StoreFact]
    public async Task Updating_a_model_sets_its_description_last_writer_wins()
    {
        await Store.CreateRegisteredModelAsync("m", [], "first", 1);

        await Store.UpdateRegisteredModelAsync("m", "second", 2);
        var updated = await Store.UpdateRegisteredModelAsync("m", "third", 3);

        Assert.Equal("third", updated.Description);
        Assert.Equal(3, updated.LastUpdatedTimestamp);
        Assert.Equal(1, updated.CreationTimestamp);
    }

    [StoreFact]
    public async Task Model_tags_and_aliases_are_set_overwritten_and_deleted()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);
        await Store.CreateModelVersionAsync(NewVersion("m", 2));
        await Store.CreateModelVersionAsync(NewVersion("m", 3));

        await Store.SetRegisteredModelTagAsync("m", new Tag("a", "1"));
        await Store.SetRegisteredModelTagAsync("m", new Tag("a", "2"));
        await Store.SetRegisteredModelTagAsync("m", new Tag("b", "3"));
        await Store.DeleteRegisteredModelTagAsync("m", "b");
        await Store.SetAliasAsync("m", "champion", 1);
        await Store.SetAliasAsync("m", "champion", 2);
        await Store.SetAliasAsync("m", "old", 1);
        await Store.DeleteAliasAsync("m", "old");

        var model = await Store.FindRegisteredModelAsync("m");
        Assert.Equal([new Tag("a", "2")], model!.Tags);
        Assert.Equal([new ModelAlias("champion", "2")], model.Aliases);
        Assert.Equal(2, await Store.FindAliasAsync("m", "champion"));
        Assert.Null(await Store.FindAliasAsync("m", "old"));
        Assert.Equal(["champion"], (await Store.FindModelVersionAsync("m", 2))!.Aliases);
        Assert.Empty((await Store.FindModelVersionAsync("m", 1))!.Aliases);
    }

    [StoreFact]
    public async Task A_model_version_round_trips_every_field()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);

        var created = await Store.CreateModelVersionAsync(new NewModelVersion(
            "m", "s3://b/model", "run-1", [new Tag("k", "v")], "http://run", "first version", "ann", "/store/m/1", 50));
        var found = await Store.FindModelVersionAsync("m", 1);

        var expected = new ModelVersion("m", "1", 50, 50, "first version", "ann", ModelStages.None, "s3://b/model", "run-1", "READY", null,
            [new Tag("k", "v")], "http://run", [], "/store/m/1");
        foreach (var version in new[] { created, found! })
        {
            Assert.Equal(expected with { Tags = [], Aliases = [] }, version with { Tags = [], Aliases = [] });
            Assert.Equal(expected.Tags, version.Tags);
            Assert.Empty(version.Aliases);
        }

        Assert.Equal(50, (await Store.FindRegisteredModelAsync("m"))!.LastUpdatedTimestamp);
        Assert.Null(await Store.FindModelVersionAsync("m", 2));
        Assert.Null(await Store.FindModelVersionAsync("other", 1));
    }

    [StoreFact]
    public async Task Deleted_version_numbers_are_never_reused_and_deleted_versions_are_gone()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);
        await Store.CreateModelVersionAsync(NewVersion("m", 2));
        await Store.CreateModelVersionAsync(NewVersion("m", 3));
        await Store.SetAliasAsync("m", "champion", 2);

        await Store.DeleteModelVersionAsync("m", 2, 4);
        var next = await Store.CreateModelVersionAsync(NewVersion("m", 5));

        Assert.Equal("3", next.Version);
        Assert.Null(await Store.FindModelVersionAsync("m", 2));
        Assert.Null(await Store.FindAliasAsync("m", "champion"));
        var listed = await Store.SearchModelVersionsAsync(new RegistryQuery([], [], 10, null));
        Assert.Equal(["3", "1"], listed.Items.Select(version => version.Version));
    }

    [StoreFact]
    public async Task Transitioning_with_archive_archives_the_other_versions_in_that_stage()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);
        for (var i = 0; i < 3; i++)
        {
            await Store.CreateModelVersionAsync(NewVersion("m", 2));
        }

        await Store.TransitionStageAsync("m", 1, ModelStages.Production, false, 3);
        await Store.TransitionStageAsync("m", 2, ModelStages.Production, false, 4);
        var third = await Store.TransitionStageAsync("m", 3, ModelStages.Production, true, 5);

        Assert.Equal(ModelStages.Production, third.CurrentStage);
        Assert.Equal(5, third.LastUpdatedTimestamp);
        Assert.Equal(ModelStages.Archived, (await Store.FindModelVersionAsync("m", 1))!.CurrentStage);
        Assert.Equal(ModelStages.Archived, (await Store.FindModelVersionAsync("m", 2))!.CurrentStage);
        var latest = (await Store.FindRegisteredModelAsync("m"))!.LatestVersions;
        Assert.Equal([("2", ModelStages.Archived), ("3", ModelStages.Production)],
            latest.Select(version => (version.Version, version.CurrentStage)).OrderBy(pair => pair.Version));
    }

    [StoreFact]
    public async Task Version_tags_and_descriptions_are_updated()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);
        await Store.CreateModelVersionAsync(NewVersion("m", 2));

        await Store.SetModelVersionTagAsync("m", 1, new Tag("a", "1"));
        await Store.SetModelVersionTagAsync("m", 1, new Tag("a", "2"));
        await Store.SetModelVersionTagAsync("m", 1, new Tag("b", "3"));
        await Store.DeleteModelVersionTagAsync("m", 1, "b");
        var updated = await Store.UpdateModelVersionAsync("m", 1, "better", 9);

        Assert.Equal([new Tag("a", "2")], updated.Tags);
        Assert.Equal("better", updated.Description);
        Assert.Equal(9, updated.LastUpdatedTimestamp);
    }

    [StoreFact]
    public async Task Deleting_a_model_deletes_its_versions()
    {
        await Store.CreateRegisteredModelAsync("m", [new Tag("k", "v")], null, 1);
        await Store.CreateModelVersionAsync(NewVersion("m", 2));

        await Store.DeleteRegisteredModelAsync("m");

        Assert.Null(await Store.FindRegisteredModelAsync("m"));
        Assert.Null(await Store.FindModelVersionAsync("m", 1));
        Assert.Empty((await Store.SearchModelVersionsAsync(new RegistryQuery([], [], 10, null))).Items);
        var again = await Store.CreateRegisteredModelAsync("m", [], null, 3);
        Assert.Empty(again.Tags);
    }

    [StoreFact]
    public async Task Searching_models_pages_through_every_one_exactly_once_by_name()
    {
        var names = Enumerable.Range(0, 13).Select(i => $"model-{i:D2}").ToList();
        foreach (var name in names.AsEnumerable().Reverse())
        {
            await Store.CreateRegisteredModelAsync(name, [], null, 1);
        }

        var seen = await Paging.All(token => Store.SearchRegisteredModelsAsync(new RegistryQuery([], [], 4, token)), 4);

        Assert.Equal(names, seen.Select(model => model.Name));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchRegisteredModelsAsync(new RegistryQuery([], [], 4, "garbage")));
    }

    [StoreFact]
    public async Task Searching_models_filters_by_name_and_tag_and_orders()
    {
        await Store.CreateRegisteredModelAsync("churn-a", [new Tag("team", "x")], null, 3);
        await Store.CreateRegisteredModelAsync("churn-b", [new Tag("team", "y")], null, 2);
        await Store.CreateRegisteredModelAsync("fraud", [new Tag("team", "x")], null, 1);

        var churn = await Store.SearchRegisteredModelsAsync(new RegistryQuery(
            [new FilterClause(SearchEntity.Attribute, "name", Comparator.Like, new FilterValue.Text("churn%"))],
            [new OrderByClause(SearchEntity.Attribute, "creation_timestamp", true)], 10, null));
        Assert.Equal(["churn-b", "churn-a"], churn.Items.Select(model => model.Name));

        var teamX = await Store.SearchRegisteredModelsAsync(new RegistryQuery(
            [new FilterClause(SearchEntity.Tag, "team", Comparator.Equal, new FilterValue.Text("x"))], [], 10, null));
        Assert.Equal(["churn-a", "fraud"], teamX.Items.Select(model => model.Name));

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchRegisteredModelsAsync(new RegistryQuery(
            [], [new OrderByClause(SearchEntity.Attribute, "no_such_key", true)], 10, null)));
    }

    [StoreFact]
    public async Task Searching_versions_pages_by_name_then_newest_version_and_filters()
    {
        await Store.CreateRegisteredModelAsync("a", [], null, 1);
        await Store.CreateRegisteredModelAsync("b", [], null, 1);
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateModelVersionAsync(NewVersion("a", 2) with { RunId = $"run-{i}" });
            await Store.CreateModelVersionAsync(NewVersion("b", 2));
        }

        var seen = await Paging.All(token => Store.SearchModelVersionsAsync(new RegistryQuery([], [], 3, token)), 3);
        Assert.Equal(
            Enumerable.Range(1, 5).Reverse().Select(v => $"a/{v}").Concat(Enumerable.Range(1, 5).Reverse().Select(v => $"b/{v}")),
            seen.Select(version => $"{version.Name}/{version.Version}"));

        var byRun = await Store.SearchModelVersionsAsync(new RegistryQuery(
            [new FilterClause(SearchEntity.Attribute, "run_id", Comparator.Equal, new FilterValue.Text("run-3"))], [], 10, null));
        Assert.Equal(["a/4"], byRun.Items.Select(version => $"{version.Name}/{version.Version}"));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchModelVersionsAsync(new RegistryQuery([], [], 3, "garbage")));
    }

    [StoreFact]
    public async Task Parallel_version_creation_hands_out_each_number_once()
    {
        await Store.CreateRegisteredModelAsync("m", [], null, 1);

        var versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.CreateModelVersionAsync(NewVersion("m", 2)))));

        Assert.Equal(Enumerable.Range(1, 8).Select(v => (long)v),
            versions.Select(version => long.Parse(version.Version, System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.Equal(8, (await Store.SearchModelVersionsAsync(new RegistryQuery([], [], 100, null))).Items.Count);
    }

    private static NewModelVersion NewVersion(string name, long now) => new(name, "s3://b/" + name, null, [], null, null, null, null, now);
}
