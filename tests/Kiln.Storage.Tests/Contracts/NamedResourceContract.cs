using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// The promises the SageMaker resource stores share (add, find, atomic update, listing as SageMaker's List* operations
/// filter, sort and page). Each port's contract derives from this and maps these members onto the port; a store binding
/// then only supplies the fresh, empty store.
/// </summary>
public abstract class NamedResourceContract<T>
    where T : class
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    protected static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    protected abstract Task<bool> AddAsync(T item);

    protected abstract Task<T?> FindAsync(string name);

    protected abstract Task<T?> UpdateAsync(string name, Func<T, T?> change);

    protected abstract Task<Page<T>> ListAsync(ListQuery query);

    /// <summary>An item with every field the type has set to a non-default value, created (and last modified) at <paramref name="created"/>.</summary>
    protected abstract T Sample(string name, DateTimeOffset created, string status);

    /// <summary>The status strings the store lists by (at least one).</summary>
    protected abstract IReadOnlyList<string> Statuses { get; }

    protected abstract string NameOf(T item);

    /// <summary>Returns <paramref name="item"/> with <paramref name="mark"/> added to a collection field (used to detect lost updates).</summary>
    protected abstract T Mark(T item, string mark);

    protected abstract IReadOnlyCollection<string> MarksOf(T item);

    [StoreFact]
    public async Task An_item_round_trips_every_field()
    {
        var item = Sample("Round-Trip", Epoch, Statuses[^1]);

        Assert.True(await AddAsync(item));

        AssertSame(item, await FindAsync("Round-Trip"));
        Assert.Null(await FindAsync("round-trip-missing"));
    }

    [StoreFact]
    public async Task Adding_a_taken_name_is_refused_and_keeps_the_first()
    {
        var first = Sample("taken", Epoch, Statuses[0]);
        await AddAsync(first);

        Assert.False(await AddAsync(Mark(Sample("taken", Epoch.AddDays(1), Statuses[^1]), "second")));

        AssertSame(first, await FindAsync("taken"));
    }

    [StoreFact]
    public async Task Update_writes_the_change_and_returns_it()
    {
        await AddAsync(Sample("u", Epoch, Statuses[0]));

        var updated = await UpdateAsync("u", item => Mark(item, "changed"));

        Assert.Contains("changed", MarksOf(updated!));
        AssertSame(updated!, await FindAsync("u"));
    }

    [StoreFact]
    public async Task Update_of_a_missing_item_or_a_declined_change_writes_nothing()
    {
        var called = false;
        Assert.Null(await UpdateAsync("ghost", item =>
        {
            called = true;
            return item;
        }));
        Assert.False(called);
        Assert.Null(await FindAsync("ghost"));

        var original = Sample("kept", Epoch, Statuses[0]);
        await AddAsync(original);
        Assert.Null(await UpdateAsync("kept", _ => null));
        AssertSame(original, await FindAsync("kept"));
    }

    [StoreFact]
    public async Task Parallel_updates_of_one_item_lose_no_change()
    {
        await AddAsync(Sample("hot", Epoch, Statuses[0]));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await UpdateAsync("hot", item => Mark(item, $"{writer}-{i}"));
            }
        })));

        var marks = MarksOf((await FindAsync("hot"))!);
        Assert.Equal(40, Enumerable.Range(0, 8).SelectMany(w => Enumerable.Range(0, 5).Select(i => $"{w}-{i}")).Count(marks.Contains));
    }

    [StoreFact]
    public async Task Parallel_adds_of_different_items_all_land()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(await AddAsync(Sample($"p-{writer}-{i}", Epoch.AddSeconds((writer * 5) + i), Statuses[0])));
            }
        })));

        var all = await Paging.All(token => ListAsync(new ListQuery(MaxResults: 100, PageToken: token)), 100);
        Assert.Equal(40, all.Select(NameOf).Distinct().Count());
    }

    [StoreFact]
    public async Task Listing_pages_through_every_item_exactly_once_newest_first()
    {
        var names = await AddSeries(13);

        var seen = await Paging.All(token => ListAsync(new ListQuery(MaxResults: 4, PageToken: token)), 4);

        Assert.Equal(names.AsEnumerable().Reverse(), seen.Select(NameOf));
    }

    [StoreFact]
    public async Task Listing_sorts_by_name_or_creation_time_either_way()
    {
        var names = await AddSeries(5);
        var byName = names.Order(StringComparer.Ordinal).ToList();

        Assert.Equal(names, (await ListAsync(new ListQuery(Ascending: true))).Items.Select(NameOf));
        Assert.Equal(byName, (await ListAsync(new ListQuery(SortBy: ListSort.Name, Ascending: true))).Items.Select(NameOf));
        Assert.Equal(byName.AsEnumerable().Reverse(), (await ListAsync(new ListQuery(SortBy: ListSort.Name))).Items.Select(NameOf));
    }

    [StoreFact]
    public async Task A_bad_page_token_is_an_invalid_parameter()
    {
        await AddSeries(3);

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => ListAsync(new ListQuery(MaxResults: 1, PageToken: "not-a-token")));
    }

    [StoreFact]
    public async Task Listing_filters_by_name_status_and_times()
    {
        var names = await AddSeries(6);

        var contains = await ListAsync(new ListQuery(NameContains: "ITEM-0", Ascending: true));
        Assert.Equal(names, contains.Items.Select(NameOf));
        Assert.Equal([names[3]], (await ListAsync(new ListQuery(NameContains: "m-03"))).Items.Select(NameOf));

        foreach (var status in Statuses.Distinct())
        {
            var expected = names.Where((_, i) => Statuses[i % Statuses.Count] == status);
            Assert.Equal(expected, (await ListAsync(new ListQuery(Status: status, Ascending: true))).Items.Select(NameOf));
        }

        Assert.Empty((await ListAsync(new ListQuery(Status: "NoSuchStatus"))).Items);

        var middle = Epoch.AddMinutes(2);
        Assert.Equal(names[3..], (await ListAsync(new ListQuery(CreatedAfter: middle, Ascending: true))).Items.Select(NameOf));
        Assert.Equal(names[..2], (await ListAsync(new ListQuery(CreatedBefore: middle, Ascending: true))).Items.Select(NameOf));
        Assert.Equal(names[3..], (await ListAsync(new ListQuery(ModifiedAfter: middle, Ascending: true))).Items.Select(NameOf));
        Assert.Equal(names[..2], (await ListAsync(new ListQuery(ModifiedBefore: middle, Ascending: true))).Items.Select(NameOf));
    }

    /// <summary>Adds items named item-00, item-01, … created a minute apart, cycling through <see cref="Statuses"/>.</summary>
    private async Task<List<string>> AddSeries(int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = $"item-{i:D2}";
            Assert.True(await AddAsync(Sample(name, Epoch.AddMinutes(i), Statuses[i % Statuses.Count])));
            names.Add(name);
        }

        return names;
    }

    // Records holding collections compare those by reference, so compare the full serialized shape.
    protected static void AssertSame(T expected, T? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected, Json), JsonSerializer.Serialize(actual, Json));
    }
}

/// <summary>The shared contract plus deletion, for the ports that delete.</summary>
public abstract class DeletableNamedResourceContract<T> : NamedResourceContract<T>
    where T : class
{
    protected abstract Task<bool> DeleteAsync(string name);

    [StoreFact]
    public async Task Deleting_removes_only_that_item_and_reports_whether_it_existed()
    {
        await AddAsync(Sample("gone", Epoch, Statuses[0]));
        await AddAsync(Sample("stays", Epoch, Statuses[0]));

        Assert.True(await DeleteAsync("gone"));
        Assert.False(await DeleteAsync("gone"));

        Assert.Null(await FindAsync("gone"));
        Assert.NotNull(await FindAsync("stays"));
        Assert.True(await AddAsync(Sample("gone", Epoch, Statuses[0])));
    }
}
