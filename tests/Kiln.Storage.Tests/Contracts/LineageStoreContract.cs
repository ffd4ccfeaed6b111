using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Lineage;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="ILineageStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class LineageStoreContract
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private ILineageStore? _store;

    protected abstract ILineageStore CreateStore();

    protected ILineageStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task An_entity_round_trips_every_field()
    {
        var entity = Sample("arn:a/1", LineageKind.Artifact, "s3://b/data", Epoch);

        Assert.True(await Store.AddAsync(entity));

        AssertSame(entity, await Store.FindAsync("arn:a/1"));
        Assert.Null(await Store.FindAsync("arn:a/2"));
    }

    [StoreFact]
    public async Task Adding_a_taken_arn_is_refused_and_keeps_the_first()
    {
        var first = Sample("arn:x", LineageKind.Action, "s3://one", Epoch);
        await Store.AddAsync(first);

        Assert.False(await Store.AddAsync(Sample("arn:x", LineageKind.Context, "s3://two", Epoch)));

        AssertSame(first, await Store.FindAsync("arn:x"));
    }

    [StoreFact]
    public async Task Update_and_delete_change_only_what_exists()
    {
        await Store.AddAsync(Sample("arn:x", LineageKind.Artifact, "s3://x", Epoch));

        var updated = await Store.UpdateAsync("arn:x", entity => entity with { Description = "changed" });
        Assert.Equal("changed", updated!.Description);
        AssertSame(updated, await Store.FindAsync("arn:x"));
        Assert.Null(await Store.UpdateAsync("arn:x", _ => null));
        Assert.Equal("changed", (await Store.FindAsync("arn:x"))!.Description);
        Assert.Null(await Store.UpdateAsync("arn:ghost", entity => entity));

        Assert.True(await Store.DeleteAsync("arn:x"));
        Assert.False(await Store.DeleteAsync("arn:x"));
        Assert.Null(await Store.FindAsync("arn:x"));
    }

    [StoreFact]
    public async Task Entities_are_listed_by_kind_and_found_by_source_newest_first()
    {
        await Store.AddAsync(Sample("arn:a1", LineageKind.Artifact, "s3://shared", Epoch));
        await Store.AddAsync(Sample("arn:a2", LineageKind.Artifact, "s3://other", Epoch.AddMinutes(1)));
        await Store.AddAsync(Sample("arn:c1", LineageKind.Context, "s3://shared", Epoch.AddMinutes(2)));

        Assert.Equal(["arn:a2", "arn:a1"], (await Store.ListAsync(LineageKind.Artifact)).Select(entity => entity.Arn));
        Assert.Equal(["arn:c1"], (await Store.ListAsync(LineageKind.Context)).Select(entity => entity.Arn));
        Assert.Empty(await Store.ListAsync(LineageKind.TrialComponent));
        Assert.Equal(["arn:c1", "arn:a1"], (await Store.FindBySourceAsync("s3://shared")).Select(entity => entity.Arn));
        Assert.Empty(await Store.FindBySourceAsync("s3://SHARED"));
    }

    [StoreFact]
    public async Task Associations_are_added_once_queried_either_way_and_removed()
    {
        var edges = new[]
        {
            new LineageAssociation("arn:a", "arn:b", AssociationTypes.ContributedTo, Epoch),
            new LineageAssociation("arn:a", "arn:c", null, Epoch.AddSeconds(1)),
            new LineageAssociation("arn:d", "arn:b", AssociationTypes.Produced, Epoch.AddSeconds(2)),
        };
        foreach (var edge in edges)
        {
            Assert.True(await Store.AssociateAsync(edge));
        }

        Assert.False(await Store.AssociateAsync(edges[0] with { AssociationType = AssociationTypes.DerivedFrom }));

        Assert.Equal(edges, await Store.AssociationsAsync(null, null));
        Assert.Equal(edges[..2], await Store.AssociationsAsync("arn:a", null));
        Assert.Equal([edges[0], edges[2]], await Store.AssociationsAsync(null, "arn:b"));
        Assert.Equal([edges[2]], await Store.AssociationsAsync("arn:d", "arn:b"));
        Assert.Empty(await Store.AssociationsAsync("arn:b", "arn:a"));

        Assert.True(await Store.DisassociateAsync("arn:a", "arn:b"));
        Assert.False(await Store.DisassociateAsync("arn:a", "arn:b"));
        Assert.Equal(edges[1..], await Store.AssociationsAsync(null, null));
    }

    [StoreFact]
    public async Task Parallel_writers_lose_nothing()
    {
        await Store.AddAsync(Sample("arn:hub", LineageKind.Context, "s3://hub", Epoch));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                var arn = $"arn:{writer}-{i}";
                Assert.True(await Store.AddAsync(Sample(arn, LineageKind.Artifact, "s3://" + arn, Epoch)));
                Assert.True(await Store.AssociateAsync(new LineageAssociation(arn, "arn:hub", null, Epoch)));
                await Store.UpdateAsync("arn:hub", hub => hub with { Tags = [.. hub.Tags, new Tag(arn, "")] });
            }
        })));

        Assert.Equal(40, (await Store.ListAsync(LineageKind.Artifact)).Count);
        Assert.Equal(40, (await Store.AssociationsAsync(null, "arn:hub")).Count);
        Assert.Equal(41, (await Store.FindAsync("arn:hub"))!.Tags.Count);
    }

    private static LineageEntity Sample(string arn, LineageKind kind, string source, DateTimeOffset created) => new()
    {
        Arn = arn,
        Kind = kind,
        Name = "name-" + arn,
        Type = LineageTypes.DataSet,
        SourceUri = source,
        ContentHash = "sha256:abc",
        SourceType = "S3",
        SourceId = "etag",
        Description = "an entity",
        Status = "Completed",
        Properties = new Dictionary<string, string> { ["rows"] = "100" },
        Tags = [new Tag("team", "ml")],
        CreatedBy = "ann",
        CreationTime = created,
        LastModifiedTime = created.AddSeconds(1),
    };

    private static void AssertSame(LineageEntity expected, LineageEntity? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected, Json), JsonSerializer.Serialize(actual, Json));
    }
}
