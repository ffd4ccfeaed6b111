using Kiln.Core.Common;
using Kiln.Core.FeatureStore;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IFeatureGroupStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class FeatureGroupStoreContract : DeletableNamedResourceContract<FeatureGroup>
{
    private IFeatureGroupStore? _store;

    protected abstract IFeatureGroupStore CreateStore();

    protected IFeatureGroupStore Store => _store ??= CreateStore();

    protected override Task<bool> AddAsync(FeatureGroup item) => Store.AddAsync(item);

    protected override Task<FeatureGroup?> FindAsync(string name) => Store.FindAsync(FeatureGroup.KeyOf(name));

    protected override Task<FeatureGroup?> UpdateAsync(string name, Func<FeatureGroup, FeatureGroup?> change) => Store.UpdateAsync(FeatureGroup.KeyOf(name), change);

    protected override Task<Page<FeatureGroup>> ListAsync(ListQuery query) => Store.ListAsync(query);

    protected override Task<bool> DeleteAsync(string name) => Store.DeleteAsync(FeatureGroup.KeyOf(name));

    protected override IReadOnlyList<string> Statuses => [FeatureGroupStatuses.Created, FeatureGroupStatuses.CreateFailed, FeatureGroupStatuses.Deleting];

    protected override string NameOf(FeatureGroup item) => item.Name;

    protected override FeatureGroup Mark(FeatureGroup item, string mark) => item with { Tags = [.. item.Tags, KeyValuePair.Create(mark, "")] };

    protected override IReadOnlyCollection<string> MarksOf(FeatureGroup item) => item.Tags.Select(tag => tag.Key).ToList();

    protected override FeatureGroup Sample(string name, DateTimeOffset created, string status) => new()
    {
        Name = name,
        Arn = Arns.SageMaker("eu-west-1", "feature-group", name),
        Region = "eu-west-1",
        RecordIdentifierFeatureName = "id",
        EventTimeFeatureName = "ts",
        Features =
        [
            new FeatureDefinition { Name = "id", Type = FeatureType.String, CreationTime = created, LastModifiedTime = created },
            new FeatureDefinition { Name = "ts", Type = FeatureType.Fractional, CreationTime = created, LastModifiedTime = created.AddSeconds(1), Description = "event time", Parameters = [KeyValuePair.Create("unit", "s")] },
            new FeatureDefinition { Name = "n", Type = FeatureType.Integral, CreationTime = created, LastModifiedTime = created },
        ],
        OnlineStore = new OnlineStoreSettings { Ttl = new TtlDuration(TtlUnit.Hours, 3), StorageType = "InMemory", KmsKeyId = "key" },
        OfflineStore = new OfflineStoreSettings
        {
            S3Uri = "s3://b/p",
            ResolvedOutputS3Uri = "s3://b/p/000000000000/sagemaker/eu-west-1/offline-store/x-1/data",
            KmsKeyId = "k2",
            DisableGlueTableCreation = true,
            TableFormat = "Iceberg",
            Catalog = "c",
            Database = "d",
            TableName = "t",
        },
        Throughput = new ThroughputSettings("Provisioned", 4, 5),
        RoleArn = "arn:aws:iam::1:role/r",
        Description = "a group",
        Status = status,
        FailureReason = "none really",
        LastUpdateStatus = "Successful",
        CreationTime = created,
        LastModifiedTime = created,
        Tags = [KeyValuePair.Create("team", "ml")],
    };
}

/// <summary>What every <see cref="IOnlineRecordStore"/> promises: latest event time wins, atomically. A binding supplies <see cref="CreateStore"/>.</summary>
public abstract class OnlineRecordStoreContract
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IOnlineRecordStore? _store;

    protected abstract IOnlineRecordStore CreateStore();

    protected IOnlineRecordStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_record_round_trips_every_field()
    {
        var record = Record("g", "r1", Epoch, "a") with { ExpiresAt = Epoch.AddTicks(12345), Deleted = true };

        Assert.True(await Store.PutIfNotOlderAsync(record, Epoch));

        var found = await Store.FindAsync("g", "r1");
        Assert.NotNull(found);
        Assert.Equal(record.EventTime, found.EventTime);
        Assert.Equal(record.ExpiresAt, found.ExpiresAt);
        Assert.True(found.Deleted);
        Assert.Equal(record.Values, found.Values);
        Assert.Null(await Store.FindAsync("g", "r2"));
        Assert.Null(await Store.FindAsync("other", "r1"));
    }

    [StoreFact]
    public async Task An_older_event_never_replaces_a_newer_one_and_an_equal_or_newer_one_does()
    {
        await Store.PutIfNotOlderAsync(Record("g", "r", Epoch, "first"), Epoch);

        Assert.False(await Store.PutIfNotOlderAsync(Record("g", "r", Epoch.AddTicks(-1), "older"), Epoch));
        Assert.Equal("first", Value(await Store.FindAsync("g", "r")));
        Assert.True(await Store.PutIfNotOlderAsync(Record("g", "r", Epoch, "equal"), Epoch));
        Assert.Equal("equal", Value(await Store.FindAsync("g", "r")));
        Assert.True(await Store.PutIfNotOlderAsync(Record("g", "r", Epoch.AddSeconds(1), "newer"), Epoch));
        Assert.Equal("newer", Value(await Store.FindAsync("g", "r")));
    }

    [StoreFact]
    public async Task An_expired_record_does_not_keep_older_events_out()
    {
        await Store.PutIfNotOlderAsync(Record("g", "r", Epoch, "expiring") with { ExpiresAt = Epoch.AddMinutes(1) }, Epoch);

        Assert.False(await Store.PutIfNotOlderAsync(Record("g", "r", Epoch.AddSeconds(-5), "too early"), Epoch.AddSeconds(30)));
        Assert.True(await Store.PutIfNotOlderAsync(Record("g", "r", Epoch.AddSeconds(-5), "after expiry"), Epoch.AddMinutes(2)));
        Assert.Equal("after expiry", Value(await Store.FindAsync("g", "r")));
    }

    [StoreFact]
    public async Task Removing_refuses_an_older_event_and_removes_otherwise()
    {
        await Store.PutIfNotOlderAsync(Record("g", "r", Epoch, "v"), Epoch);

        Assert.False(await Store.RemoveIfNotOlderAsync("g", "r", Epoch.AddTicks(-1), Epoch));
        Assert.NotNull(await Store.FindAsync("g", "r"));
        Assert.True(await Store.RemoveIfNotOlderAsync("g", "r", Epoch, Epoch));
        Assert.Null(await Store.FindAsync("g", "r"));
        Assert.True(await Store.RemoveIfNotOlderAsync("g", "never", Epoch, Epoch));
    }

    [StoreFact]
    public async Task FindMany_and_RemoveGroup_touch_only_their_group()
    {
        foreach (var id in new[] { "a", "b", "c" })
        {
            await Store.PutIfNotOlderAsync(Record("g1", id, Epoch, id), Epoch);
        }

        await Store.PutIfNotOlderAsync(Record("g2", "a", Epoch, "other"), Epoch);

        var found = await Store.FindManyAsync("g1", ["c", "a", "missing", "a"]);
        Assert.Equal(["a", "c"], found.Select(record => record.RecordId).Order(StringComparer.Ordinal));

        await Store.RemoveGroupAsync("g1");
        Assert.Empty(await Store.FindManyAsync("g1", ["a", "b", "c"]));
        Assert.Equal("other", Value(await Store.FindAsync("g2", "a")));
    }

    [StoreFact]
    public async Task Summary_counts_live_deleted_and_expired_records_and_the_live_event_time_range()
    {
        var now = Epoch.AddHours(1);
        Assert.Equal(new OnlineStoreSummary(0, 0, 0, null, null), await Store.SummarizeAsync("g", now));

        await Store.PutIfNotOlderAsync(Record("g", "old", Epoch, "1"), Epoch);
        await Store.PutIfNotOlderAsync(Record("g", "new", Epoch.AddMinutes(30), "2") with { ExpiresAt = Epoch.AddDays(1) }, Epoch);
        await Store.PutIfNotOlderAsync(Record("g", "gone", Epoch.AddMinutes(50), "3") with { Deleted = true }, Epoch);
        await Store.PutIfNotOlderAsync(Record("g", "stale", Epoch.AddMinutes(55), "4") with { ExpiresAt = now }, Epoch);
        await Store.PutIfNotOlderAsync(Record("other", "x", Epoch.AddDays(-1), "5"), Epoch);

        var summary = await Store.SummarizeAsync("g", now);

        Assert.Equal(new OnlineStoreSummary(2, 1, 1, Epoch, Epoch.AddMinutes(30)), summary);
        Assert.Equal(4, summary.Total);
    }

    [StoreFact]
    public async Task ListLatest_returns_at_most_the_limit_of_live_records_latest_event_first()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.PutIfNotOlderAsync(Record("g", "r" + i, Epoch.AddSeconds(i), "v"), Epoch);
        }

        await Store.PutIfNotOlderAsync(Record("g", "deleted", Epoch.AddMinutes(1), "v") with { Deleted = true }, Epoch);
        await Store.PutIfNotOlderAsync(Record("g", "expired", Epoch.AddMinutes(2), "v") with { ExpiresAt = Epoch.AddMinutes(3) }, Epoch);
        await Store.PutIfNotOlderAsync(Record("other", "later", Epoch.AddMinutes(4), "v"), Epoch);

        var latest = await Store.ListLatestAsync("g", Epoch.AddMinutes(10), 3);

        Assert.Equal(["r4", "r3", "r2"], latest.Select(record => record.RecordId));
        Assert.Equal(Epoch.AddSeconds(4), latest[0].EventTime);
        Assert.Equal(5, (await Store.ListLatestAsync("g", Epoch.AddMinutes(10), 100)).Count);
        Assert.Equal("expired", (await Store.ListLatestAsync("g", Epoch.AddMinutes(2), 1)).Single().RecordId);
    }

    [StoreFact]
    public async Task Parallel_writers_leave_the_latest_event()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                var seconds = (i * 8) + writer;
                await Store.PutIfNotOlderAsync(Record("g", "hot", Epoch.AddSeconds(seconds), seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)), Epoch);
            }
        })));

        Assert.Equal("39", Value(await Store.FindAsync("g", "hot")));
    }

    private static OnlineRecord Record(string group, string id, DateTimeOffset time, string value) => new()
    {
        GroupKey = group,
        RecordId = id,
        EventTime = time,
        Values = [KeyValuePair.Create("id", id), KeyValuePair.Create("v", value)],
    };

    private static string? Value(OnlineRecord? record) => record?.Values.Single(pair => pair.Key == "v").Value;
}
