using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="IArtifactStore"/> promises: one tree of files under safe relative paths, whole-file
/// writes that never show a part, streams that can seek, and no path that reaches outside the tree.
/// A binding supplies <see cref="CreateStore"/>: a fresh, empty store each call, apart from every other.
/// </summary>
public abstract class ArtifactStoreContract
{
    private IArtifactStore? _store;

    protected abstract IArtifactStore CreateStore();

    /// <summary>More bytes than the store's write unit (a multipart part for S3), so a large write spans several.</summary>
    protected virtual int LargeFileBytes => (11 * 1024 * 1024) + 12_345;

    protected IArtifactStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_written_file_reads_back_and_stats_with_its_size()
    {
        await WriteTextAsync("model/MLmodel", "flavors: {}\n");

        Assert.Equal("flavors: {}\n", await ReadTextAsync("model/MLmodel"));
        Assert.Equal(new ArtifactEntry("model/MLmodel", false, 12), await Store.StatAsync("model/MLmodel"));
        Assert.Equal(new ArtifactEntry("model", true, null), await Store.StatAsync("model"));
    }

    [StoreFact]
    public async Task Missing_paths_open_stat_and_list_as_nothing_and_delete_as_false()
    {
        await WriteTextAsync("present/file.txt", "x");

        Assert.Null(await Store.OpenReadAsync("absent.txt"));
        Assert.Null(await Store.OpenReadAsync("present"));
        Assert.Null(await Store.StatAsync("absent.txt"));
        Assert.Null(await Store.StatAsync("present/fil"));
        Assert.Null(await Store.ListAsync("absent"));
        Assert.Null(await Store.ListAsync("present/file.txt"));
        Assert.False(await Store.DeleteAsync("absent"));
        Assert.False(await Store.DeleteAsync("pres"));
        Assert.Equal("x", await ReadTextAsync("present/file.txt"));
    }

    [StoreFact]
    public async Task Listing_a_folder_gives_its_direct_children_in_path_order()
    {
        await WriteTextAsync("run/metrics.json", "{}");
        await WriteTextAsync("run/model/model.onnx", "onnx");
        await WriteTextAsync("run/model/code/train.py", "print()");
        await WriteTextAsync("run/a.txt", "abc");
        await WriteTextAsync("runner/other.txt", "not a child of run");

        Assert.Equal(
            [new ArtifactEntry("run/a.txt", false, 3), new ArtifactEntry("run/metrics.json", false, 2), new ArtifactEntry("run/model", true, null)],
            await Store.ListAsync("run"));
        Assert.Equal(
            [new ArtifactEntry("run/model/code", true, null), new ArtifactEntry("run/model/model.onnx", false, 4)],
            await Store.ListAsync("run/model"));
        Assert.Equal([new ArtifactEntry("run", true, null), new ArtifactEntry("runner", true, null)], await Store.ListAsync(""));
        Assert.Equal(await Store.ListAsync("run"), await Store.ListAsync("run/"));
    }

    [StoreFact]
    public async Task An_empty_store_lists_an_empty_root()
    {
        Assert.Equal([], await Store.ListAsync("") ?? throw new InvalidOperationException("the root must exist"));
        Assert.Equal(new ArtifactEntry("", true, null), await Store.StatAsync(""));
    }

    [StoreFact]
    public async Task A_write_replaces_the_whole_file()
    {
        await WriteTextAsync("notes.txt", "a long first version");
        await WriteTextAsync("notes.txt", "short");

        Assert.Equal("short", await ReadTextAsync("notes.txt"));
        Assert.Equal(5, (await Store.StatAsync("notes.txt"))!.Size);
        Assert.Equal([new ArtifactEntry("notes.txt", false, 5)], await Store.ListAsync(""));
    }

    [StoreFact]
    public async Task Deleting_a_file_or_a_folder_removes_it_and_everything_under_it()
    {
        await WriteTextAsync("keep.txt", "k");
        await WriteTextAsync("gone.txt", "g");
        await WriteTextAsync("tree/a.txt", "a");
        await WriteTextAsync("tree/deep/b.txt", "b");

        Assert.True(await Store.DeleteAsync("gone.txt"));
        Assert.True(await Store.DeleteAsync("tree"));

        Assert.Null(await Store.StatAsync("gone.txt"));
        Assert.Null(await Store.StatAsync("tree"));
        Assert.Null(await Store.OpenReadAsync("tree/deep/b.txt"));
        Assert.Equal([new ArtifactEntry("keep.txt", false, 1)], await Store.ListAsync(""));
    }

    [StoreFact]
    public async Task The_root_is_never_deleted()
    {
        await WriteTextAsync("a.txt", "a");

        Assert.False(await Store.DeleteAsync(""));

        Assert.Equal("a", await ReadTextAsync("a.txt"));
    }

    [StoreFact]
    public async Task A_file_and_a_folder_never_share_a_path()
    {
        await WriteTextAsync("dir/file.txt", "f");

        var overFolder = await Assert.ThrowsAsync<KilnException>(() => WriteTextAsync("dir", "x"));
        var underFile = await Assert.ThrowsAsync<KilnException>(() => WriteTextAsync("dir/file.txt/inner", "x"));

        Assert.Equal(ErrorCode.InvalidParameterValue, overFolder.Code);
        Assert.Contains("directory", overFolder.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidParameterValue, underFile.Code);
        Assert.Contains("dir/file.txt is a file", underFile.Message, StringComparison.Ordinal);
        Assert.Equal([new ArtifactEntry("dir/file.txt", false, 1)], await Store.ListAsync("dir"));
    }

    [StoreFact]
    public async Task A_file_larger_than_a_write_unit_streams_in_and_out_whole_and_reads_by_range()
    {
        var expected = SHA256.HashData(Generated(LargeFileBytes));

        await Store.WriteAsync("big/data.bin", new GeneratedStream(LargeFileBytes));

        Assert.Equal(LargeFileBytes, (await Store.StatAsync("big/data.bin"))!.Size);
        await using (var read = (await Store.OpenReadAsync("big/data.bin"))!)
        {
            Assert.Equal(expected, await SHA256.HashDataAsync(read));
        }

        // A ranged read (S3's Range header, UploadPartCopy) seeks, then reads from there.
        await using var ranged = (await Store.OpenReadAsync("big/data.bin"))!;
        Assert.True(ranged.CanSeek);
        Assert.Equal(LargeFileBytes, ranged.Length);
        var offset = LargeFileBytes - 70_000;
        ranged.Seek(offset, SeekOrigin.Begin);
        var slice = new byte[50_000];
        await ranged.ReadExactlyAsync(slice);
        Assert.Equal(Generated(LargeFileBytes).AsSpan(offset, slice.Length).ToArray(), slice);
        ranged.Seek(3, SeekOrigin.Begin);
        var head = new byte[4];
        await ranged.ReadExactlyAsync(head);
        Assert.Equal(Generated(7)[3..], head);
    }

    [StoreFact]
    public async Task A_write_whose_body_fails_leaves_the_old_file_and_no_part_of_the_new()
    {
        await WriteTextAsync("out/model.bin", "old");

        foreach (var failAt in new[] { 100, LargeFileBytes - 100 })
        {
            await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("out/model.bin", new GeneratedStream(LargeFileBytes, failAt)));
            await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("out/new.bin", new GeneratedStream(LargeFileBytes, failAt)));

            Assert.Equal("old", await ReadTextAsync("out/model.bin"));
            Assert.Equal([new ArtifactEntry("out/model.bin", false, 3)], await Store.ListAsync("out"));
        }
    }

    [StoreFact]
    public async Task A_path_that_could_leave_the_tree_is_refused_by_every_operation()
    {
        await WriteTextAsync("inside.txt", "in");
        string[] escapes = ["../outside.txt", "a/../../outside.txt", "a/./b.txt", "/etc/passwd", "%2e%2e/outside.txt", "a\\..\\b.txt", "C:/windows.txt", "s3://another-bucket/key", "line\nbreak.txt"];
        foreach (var path in escapes)
        {
            var refusals = new List<KilnException>
            {
                await Assert.ThrowsAsync<KilnException>(() => WriteTextAsync(path, "x")),
                await Assert.ThrowsAsync<KilnException>(() => Store.OpenReadAsync(path)),
                await Assert.ThrowsAsync<KilnException>(() => Store.StatAsync(path)),
                await Assert.ThrowsAsync<KilnException>(() => Store.ListAsync(path)),
                await Assert.ThrowsAsync<KilnException>(() => Store.DeleteAsync(path)),
            };

            Assert.All(refusals, refusal => Assert.Equal(ErrorCode.InvalidParameterValue, refusal.Code));
        }

        Assert.Equal([new ArtifactEntry("inside.txt", false, 2)], await Store.ListAsync(""));
    }

    [StoreFact]
    public async Task Names_with_spaces_and_non_ascii_letters_round_trip()
    {
        await WriteTextAsync("résumé dir/naïve model + v2.txt", "ünïcode");

        Assert.Equal("ünïcode", await ReadTextAsync("résumé dir/naïve model + v2.txt"));
        Assert.Equal([new ArtifactEntry("résumé dir/naïve model + v2.txt", false, Encoding.UTF8.GetByteCount("ünïcode"))], await Store.ListAsync("résumé dir"));
    }

    [StoreFact]
    public async Task Two_stores_do_not_see_each_other()
    {
        var other = CreateStore();
        await WriteTextAsync("shared-name.txt", "mine");
        await other.WriteAsync("shared-name.txt", new MemoryStream("theirs"u8.ToArray()));

        Assert.Equal("mine", await ReadTextAsync("shared-name.txt"));
        Assert.True(await other.DeleteAsync("shared-name.txt"));
        Assert.Equal("mine", await ReadTextAsync("shared-name.txt"));
    }

    protected async Task WriteTextAsync(string path, string text) =>
        await Store.WriteAsync(path, new MemoryStream(Encoding.UTF8.GetBytes(text)));

    protected async Task<string> ReadTextAsync(string path)
    {
        await using var stream = await Store.OpenReadAsync(path) ?? throw new InvalidOperationException($"{path} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The bytes <see cref="GeneratedStream"/> yields: a pattern that differs at every offset within a part.</summary>
    protected static byte[] Generated(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) ^ (i >> 11));
        }

        return bytes;
    }

    /// <summary>A body of unknown length that cannot seek, like a request body: generated, optionally failing at an offset.</summary>
    protected sealed class GeneratedStream(int length, int? failAt = null) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAt)
            {
                throw new IOException("The client went away.");
            }

            var n = Math.Min(count, Math.Min(length, failAt ?? length) - _position);
            for (var i = 0; i < n; i++, _position++)
            {
                buffer[offset + i] = (byte)((_position * 31) ^ (_position >> 11));
            }

            return Math.Max(n, 0);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
