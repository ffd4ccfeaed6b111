using Amazon.S3.Model;
using Kiln.Artifacts.S3;
using Kiln.Core.Artifacts;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Artifacts;

/// <summary>
/// Skips a binding's contract tests when no S3-compatible server is available (see <see cref="S3TestServer"/>). Not
/// beside it: Kiln.Api.Tests compiles S3TestServer.cs too, without the contracts.
/// </summary>
public sealed class RequiresS3Attribute : StoreServiceAttribute
{
    public override string? SkipReason => S3TestServer.SkipReason;
}

/// <summary>
/// The artifact contract on an S3-compatible server (moto's, or <c>KILN_TEST_S3_ENDPOINT</c>): each store a fresh
/// prefix in this class's bucket, with S3's smallest part size, so the large file is a three-part upload.
/// </summary>
[RequiresS3]
public sealed class S3ArtifactStoreTests(S3TestBucket bucket) : ArtifactStoreContract, IClassFixture<S3TestBucket>
{
    private const int PartSize = 5 * 1024 * 1024;

    protected override IArtifactStore CreateStore() => NewStore();

    [S3Fact]
    public async Task Files_are_objects_under_the_stores_prefix_and_folders_are_key_prefixes()
    {
        var store = NewStore();
        await store.WriteAsync("run/model/model.onnx", new MemoryStream("onnx"u8.ToArray()));

        var keys = await KeysAsync(store.Prefix + "/");
        Assert.Equal([$"{store.Prefix}/run/model/model.onnx"], keys);
        using var stored = await bucket.Client.GetObjectAsync(bucket.Name, keys[0]);
        Assert.Equal(4, stored.ContentLength);
    }

    [S3Fact]
    public async Task A_large_write_is_a_multipart_upload_that_leaves_no_upload_open()
    {
        var store = NewStore();
        await store.WriteAsync("big.bin", new GeneratedStream((2 * PartSize) + 1));
        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("failed.bin", new GeneratedStream((3 * PartSize) + 1, failAt: (2 * PartSize) + 10)));

        var head = await bucket.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket.Name, Key = $"{store.Prefix}/big.bin" });
        Assert.EndsWith("-3\"", head.ETag, StringComparison.Ordinal);
        var open = await bucket.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket.Name, Prefix = store.Prefix + "/" });
        Assert.Empty(open.MultipartUploads ?? []);
        Assert.Null(await store.StatAsync("failed.bin"));
    }

    [S3Fact]
    public async Task Listing_and_deleting_page_through_more_keys_than_one_response_holds()
    {
        var store = NewStore(listPageSize: 4);
        var names = Enumerable.Range(0, 11).Select(i => $"many/file-{i:D2}.txt").ToList();
        foreach (var name in names)
        {
            await store.WriteAsync(name, new MemoryStream([1]));
        }

        await store.WriteAsync("many/sub/x.txt", new MemoryStream([1]));

        var listed = await store.ListAsync("many");
        Assert.Equal([.. names, "many/sub"], listed!.Select(entry => entry.Path));
        Assert.True(await store.DeleteAsync("many"));
        Assert.Empty(await KeysAsync(store.Prefix + "/"));
    }

    [S3Fact]
    public async Task A_reader_of_a_replaced_object_fails_instead_of_mixing_versions()
    {
        var store = NewStore();
        await store.WriteAsync("v.bin", new GeneratedStream(100_000));
        await using var reader = (await store.OpenReadAsync("v.bin"))!;
        await store.WriteAsync("v.bin", new MemoryStream(new byte[100_000]));

        reader.Seek(50_000, SeekOrigin.Begin);
        await Assert.ThrowsAnyAsync<Exception>(async () => await reader.ReadExactlyAsync(new byte[10]));
    }

    private S3ArtifactStore NewStore(int listPageSize = 1000) =>
        new(bucket.Client, bucket.Name, $"contract/{Guid.NewGuid():N}", PartSize, listPageSize);

    private async Task<List<string>> KeysAsync(string prefix)
    {
        var page = await bucket.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket.Name, Prefix = prefix });
        return (page.S3Objects ?? []).Select(item => item.Key).ToList();
    }
}
