using Kiln.Artifacts.FileSystem;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;

namespace Kiln.Core.Tests.Artifacts;

public sealed class ArtifactUploadsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kiln-uploads-tests", Guid.NewGuid().ToString("N"));
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FileSystemArtifactStore _artifacts;
    private readonly FileSystemArtifactStore _staging;
    private readonly ArtifactUploads _uploads;

    public ArtifactUploadsTests()
    {
        _artifacts = new FileSystemArtifactStore(Path.Combine(_folder, "artifacts"));
        _staging = new FileSystemArtifactStore(Path.Combine(_folder, "staging"));
        _uploads = new ArtifactUploads(_artifacts, _staging, _clock, TimeSpan.FromDays(7));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static MemoryStream Bytes(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task An_upload_left_open_past_its_expiry_is_gone_and_its_parts_reclaimed_by_the_next_create()
    {
        var old = await _uploads.CreateAsync("0/run/artifacts/a.bin", 2);
        var part = await _uploads.UploadPartAsync(old.UploadId, 1, Bytes("first"));
        _clock.Advance(TimeSpan.FromDays(6));
        var recent = await _uploads.CreateAsync("0/run/artifacts/b.bin", 1);
        Assert.NotNull(await _staging.StatAsync(old.UploadId));

        _clock.Advance(TimeSpan.FromDays(2));
        var missing = await Assert.ThrowsAsync<KilnException>(() => _uploads.CompleteAsync(old.UploadId, old.Path, [(1, part.ETag), (2, part.ETag)]));
        Assert.Equal(ErrorCode.ResourceDoesNotExist, missing.Code);
        await Assert.ThrowsAsync<KilnException>(() => _uploads.UploadPartAsync(old.UploadId, 2, Bytes("second")));

        await _uploads.CreateAsync("0/run/artifacts/c.bin", 1);
        Assert.Null(await _staging.StatAsync(old.UploadId));
        Assert.NotNull(await _staging.StatAsync(recent.UploadId));
        Assert.Null(await _artifacts.StatAsync(old.Path));
    }

    [Fact]
    public async Task Parts_join_in_part_order_whatever_order_they_arrived_in()
    {
        var upload = await _uploads.CreateAsync("m/weights.bin", 3);
        var third = await _uploads.UploadPartAsync(upload.UploadId, 3, Bytes("c"));
        var first = await _uploads.UploadPartAsync(upload.UploadId, 1, Bytes("a"));
        var second = await _uploads.UploadPartAsync(upload.UploadId, 2, Bytes("b"));
        Assert.Equal("\"0cc175b9c0f1b6a831c399e269772661\"", first.ETag);

        await _uploads.CompleteAsync(upload.UploadId, "m/weights.bin", [(1, first.ETag), (2, second.ETag), (3, third.ETag)]);

        await using var stored = (await _artifacts.OpenReadAsync("m/weights.bin"))!;
        Assert.Equal("abc", await new StreamReader(stored).ReadToEndAsync());
        Assert.Null(await _staging.StatAsync(upload.UploadId));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
