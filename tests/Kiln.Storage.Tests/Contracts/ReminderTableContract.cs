using Orleans;
using Orleans.Runtime;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What Kiln needs of Orleans' <see cref="IReminderTable"/>. A binding supplies <see cref="CreateTable"/>: a table for
/// a service id over storage shared by every table the test creates, and empty at the start of the test.
/// </summary>
public abstract class ReminderTableContract
{
    private static readonly DateTime Start = new(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
    private IReminderTable? _table;

    protected abstract IReminderTable CreateTable(string serviceId);

    protected IReminderTable Table => _table ??= CreateTable("kiln");

    [StoreFact]
    public async Task A_reminder_round_trips_every_field_with_its_etag()
    {
        var grain = Grain("job-1");

        var etag = await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(1)));

        var row = await Table.ReadRow(grain, "tick");
        Assert.NotNull(row);
        Assert.Equal(grain, row.GrainId);
        Assert.Equal("tick", row.ReminderName);
        Assert.Equal(Start, row.StartAt);
        Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
        Assert.Equal(TimeSpan.FromMinutes(1), row.Period);
        Assert.Equal(etag, row.ETag);
        Assert.Null(await Table.ReadRow(grain, "tock"));
        Assert.Null(await Table.ReadRow(Grain("job-2"), "tick"));
    }

    [StoreFact]
    public async Task Upserting_again_replaces_the_reminder_and_its_etag()
    {
        var grain = Grain("job");
        var first = await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(1)));

        var second = await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(5)));

        Assert.NotEqual(first, second);
        var row = await Table.ReadRow(grain, "tick");
        Assert.Equal(TimeSpan.FromMinutes(5), row!.Period);
        Assert.Equal(second, row.ETag);
        Assert.Single((await Table.ReadRows(grain)).Reminders);
    }

    [StoreFact]
    public async Task Removing_needs_the_current_etag()
    {
        var grain = Grain("job");
        var stale = await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(1)));
        var current = await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(2)));

        Assert.False(await Table.RemoveRow(grain, "tick", stale!));
        Assert.NotNull(await Table.ReadRow(grain, "tick"));
        Assert.True(await Table.RemoveRow(grain, "tick", current!));
        Assert.Null(await Table.ReadRow(grain, "tick"));
        Assert.False(await Table.RemoveRow(grain, "tick", current!));
    }

    [StoreFact]
    public async Task Rows_are_read_per_grain_and_per_hash_range_with_wrap_around()
    {
        var grains = Enumerable.Range(0, 12).Select(i => Grain($"job-{i}")).ToList();
        foreach (var grain in grains)
        {
            await Table.UpsertRow(Entry(grain, "a", TimeSpan.FromMinutes(1)));
            await Table.UpsertRow(Entry(grain, "b", TimeSpan.FromMinutes(1)));
        }

        Assert.Equal(["a", "b"], (await Table.ReadRows(grains[3])).Reminders.Select(r => r.ReminderName).Order(StringComparer.Ordinal));

        var hashes = grains.Select(grain => grain.GetUniformHashCode()).Order().ToList();
        var begin = hashes[3];
        var end = hashes[8];
        Assert.Equal(
            grains.Where(g => g.GetUniformHashCode() > begin && g.GetUniformHashCode() <= end).Select(g => g.ToString()).Order(StringComparer.Ordinal),
            GrainsIn(await Table.ReadRows(begin, end)));
        Assert.Equal(
            grains.Where(g => g.GetUniformHashCode() > end || g.GetUniformHashCode() <= begin).Select(g => g.ToString()).Order(StringComparer.Ordinal),
            GrainsIn(await Table.ReadRows(end, begin)));
        Assert.Equal(24, (await Table.ReadRows(begin, begin)).Reminders.Count);
    }

    [StoreFact]
    public async Task Services_sharing_the_storage_do_not_see_each_others_reminders()
    {
        var other = CreateTable("other-service");
        var grain = Grain("job");
        await Table.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(1)));

        Assert.Null(await other.ReadRow(grain, "tick"));
        Assert.Empty((await other.ReadRows(grain)).Reminders);
        await other.UpsertRow(Entry(grain, "tick", TimeSpan.FromMinutes(9)));
        await other.TestOnlyClearTable();

        Assert.Equal(TimeSpan.FromMinutes(1), (await Table.ReadRow(grain, "tick"))!.Period);
    }

    [StoreFact]
    public async Task Parallel_upserts_all_land()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Table.UpsertRow(Entry(Grain($"job-{writer}"), $"r-{i}", TimeSpan.FromMinutes(1)));
            }
        })));

        Assert.Equal(40, (await Table.ReadRows(0, 0)).Reminders.Count);
    }

    private static GrainId Grain(string key) => GrainId.Create("job", key);

    private static ReminderEntry Entry(GrainId grain, string name, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = Start, Period = period };

    private static IEnumerable<string> GrainsIn(ReminderTableData data) =>
        data.Reminders.Select(r => r.GrainId.ToString()).Distinct().Order(StringComparer.Ordinal);
}
