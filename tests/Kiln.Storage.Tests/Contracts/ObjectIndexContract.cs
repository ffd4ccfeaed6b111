using System.Text.Json;
using Kiln.Core.Objects;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IObjectIndex"/> promises. A binding supplies <see cref="CreateIndex"/>, a fresh, empty index.</summary>
public abstract class ObjectIndexContract
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private IObjectIndex? _index;

    protected abstract IObjectIndex CreateIndex();

    protected IObjectIndex Index => _index ??= CreateIndex();

    [StoreFact]
    public async Task Buckets_are_created_once_listed_by_name_and_deleted_only_when_empty()
    {
        Assert.True(await Index.CreateBucketAsync("zeta", Epoch));
        Assert.True(await Index.CreateBucketAsync("alpha", Epoch.AddSeconds(1)));
        Assert.False(await Index.CreateBucketAsync("zeta", Epoch.AddDays(1)));

        Assert.Equal(new BucketInfo("zeta", Epoch), await Index.FindBucketAsync("zeta"));
        Assert.Null(await Index.FindBucketAsync("nope"));
        Assert.Equal([new BucketInfo("alpha", Epoch.AddSeconds(1)), new BucketInfo("zeta", Epoch)], await Index.ListBucketsAsync());

        await Index.PutObjectAsync(Object("zeta", "k"));
        Assert.False(await Index.DeleteBucketAsync("zeta"));
        Assert.NotNull(await Index.FindBucketAsync("zeta"));
        Assert.True(await Index.DeleteObjectAsync("zeta", "k"));
        Assert.True(await Index.DeleteBucketAsync("zeta"));
        Assert.Null(await Index.FindBucketAsync("zeta"));
    }

    [StoreFact]
    public async Task An_object_round_trips_every_field_and_a_put_replaces_it()
    {
        await Index.CreateBucketAsync("b", Epoch);
        var info = Object("b", "dir/file.csv");

        await Index.PutObjectAsync(info);
        AssertSame(info, await Index.FindObjectAsync("b", "dir/file.csv"));

        var replacement = info with { Size = 1, ETag = "\"new\"", ContentType = "text/plain", Metadata = new Dictionary<string, string>(), Checksum = null };
        await Index.PutObjectAsync(replacement);
        AssertSame(replacement, await Index.FindObjectAsync("b", "dir/file.csv"));

        Assert.Null(await Index.FindObjectAsync("b", "dir/other"));
        Assert.Null(await Index.FindObjectAsync("other", "dir/file.csv"));
        Assert.True(await Index.DeleteObjectAsync("b", "dir/file.csv"));
        Assert.False(await Index.DeleteObjectAsync("b", "dir/file.csv"));
    }

    [StoreFact]
    public async Task Listing_pages_through_a_prefix_in_key_order_exactly_once()
    {
        await Index.CreateBucketAsync("b", Epoch);
        await Index.CreateBucketAsync("other", Epoch);
        var keys = Enumerable.Range(0, 23).Select(i => $"data/{i:D3}").ToList();
        foreach (var key in keys.AsEnumerable().Reverse().Concat(["dat", "data", "datb/x", "a"]))
        {
            await Index.PutObjectAsync(Object("b", key));
        }

        await Index.PutObjectAsync(Object("other", "data/999"));

        var seen = new List<string>();
        var after = "";
        while (true)
        {
            var page = await Index.ListObjectsAsync("b", "data/", after, 5);
            seen.AddRange(page.Select(info => info.Key));
            if (page.Count < 5)
            {
                break;
            }

            after = page[^1].Key;
        }

        Assert.Equal(keys, seen);
        Assert.Equal(["a", "dat", "data"], (await Index.ListObjectsAsync("b", "", "", 3)).Select(info => info.Key));
        Assert.Equal(["datb/x"], (await Index.ListObjectsAsync("b", "", "data/022", 10)).Select(info => info.Key));
    }

    [StoreFact]
    public async Task Uploads_round_trip_and_their_parts_are_replaced_listed_and_deleted_with_them()
    {
        await Index.CreateBucketAsync("b", Epoch);
        var upload = new MultipartUpload("up-1", "b", "big.bin", Epoch, "application/octet-stream", new Dictionary<string, string> { ["x"] = "1" }, ChecksumAlgorithm.Crc32C);
        await Index.CreateUploadAsync(upload);

        var found = await Index.FindUploadAsync("up-1");
        Assert.Equal(JsonSerializer.Serialize(upload), JsonSerializer.Serialize(found));
        Assert.Null(await Index.FindUploadAsync("up-2"));

        await Index.PutPartAsync("up-1", new UploadedPart(2, 10, "\"b\"", Epoch, new ObjectChecksum(ChecksumAlgorithm.Crc32C, "AAAAAA==")));
        await Index.PutPartAsync("up-1", new UploadedPart(1, 5, "\"a\"", Epoch));
        await Index.PutPartAsync("up-1", new UploadedPart(2, 20, "\"c\"", Epoch.AddSeconds(1)));
        Assert.Equal(
            [new UploadedPart(1, 5, "\"a\"", Epoch), new UploadedPart(2, 20, "\"c\"", Epoch.AddSeconds(1))],
            await Index.ListPartsAsync("up-1"));

        await Index.DeleteUploadAsync("up-1");
        Assert.Null(await Index.FindUploadAsync("up-1"));
        Assert.Empty(await Index.ListPartsAsync("up-1"));
    }

    [StoreFact]
    public async Task Uploads_list_by_key_then_initiation_and_resume_after_the_markers()
    {
        await Index.CreateBucketAsync("b", Epoch);
        var uploads = new[]
        {
            Upload("u1", "a/1", Epoch.AddSeconds(2)),
            Upload("u2", "a/1", Epoch.AddSeconds(1)),
            Upload("u3", "a/2", Epoch),
            Upload("u4", "b/1", Epoch),
        };
        foreach (var upload in uploads)
        {
            await Index.CreateUploadAsync(upload);
        }

        Assert.Equal(["u2", "u1", "u3", "u4"], (await Index.ListUploadsAsync("b", "", "", null, 10)).Select(u => u.UploadId));
        Assert.Equal(["u2", "u1", "u3"], (await Index.ListUploadsAsync("b", "a/", "", null, 10)).Select(u => u.UploadId));
        Assert.Equal(["u2", "u1"], (await Index.ListUploadsAsync("b", "a/", "", null, 2)).Select(u => u.UploadId));
        Assert.Equal(["u1", "u3", "u4"], (await Index.ListUploadsAsync("b", "", "a/1", "u2", 10)).Select(u => u.UploadId));
        Assert.Equal(["u3", "u4"], (await Index.ListUploadsAsync("b", "", "a/1", null, 10)).Select(u => u.UploadId));
        Assert.Empty(await Index.ListUploadsAsync("other", "", "", null, 10));
    }

    [StoreFact]
    public async Task Parallel_writers_lose_nothing()
    {
        await Index.CreateBucketAsync("b", Epoch);
        await Index.CreateUploadAsync(Upload("up", "big", Epoch));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Index.PutObjectAsync(Object("b", $"k-{writer}-{i}"));
                await Index.PutPartAsync("up", new UploadedPart((writer * 5) + i + 1, 1, "\"e\"", Epoch));
            }
        })));

        Assert.Equal(40, (await Index.ListObjectsAsync("b", "k-", "", 1_000)).Count);
        Assert.Equal(Enumerable.Range(1, 40), (await Index.ListPartsAsync("up")).Select(part => part.Number));
    }

    private static ObjectInfo Object(string bucket, string key) => new(
        bucket, key, 1_234, "\"etag\"", "text/csv", Epoch, new Dictionary<string, string> { ["owner"] = "ann", ["x-y"] = "z" },
        new ObjectChecksum(ChecksumAlgorithm.Sha256, "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="));

    private static MultipartUpload Upload(string id, string key, DateTimeOffset initiated) =>
        new(id, "b", key, initiated, "application/octet-stream", new Dictionary<string, string>());

    private static void AssertSame(ObjectInfo expected, ObjectInfo? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }
}
