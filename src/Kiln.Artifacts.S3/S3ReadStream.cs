using Amazon.S3;
using Amazon.S3.Model;

namespace Kiln.Artifacts.S3;

/// <summary>
/// An S3 object read as it streams in, never buffered whole. It can seek (S3 range reads, which the object API's
/// Range header and UploadPartCopy need): a read after a seek asks for the rest of the object from the new
/// position. Every later request names the ETag of the first, so an object replaced mid-read fails the read
/// instead of mixing two versions.
/// </summary>
internal sealed class S3ReadStream(IAmazonS3 client, string bucket, string key, GetObjectResponse first) : Stream
{
    private readonly long _length = first.ContentLength;
    private readonly string _etag = first.ETag;
    private GetObjectResponse? _response = first;
    private long _responsePosition;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _length || buffer.Length == 0)
        {
            return 0;
        }

        if (_response is null || _responsePosition != _position)
        {
            _response?.Dispose();
            _response = null;
            _response = await client.GetObjectAsync(
                new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(_position, _length - 1), EtagToMatch = _etag },
                cancellationToken).ConfigureAwait(false);
            _responsePosition = _position;
        }

        var wanted = (int)Math.Min(buffer.Length, _length - _position);
        var read = await _response.ResponseStream.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException($"s3://{bucket}/{key} ended after {_position} of its {_length} bytes.");
        }

        _position += read;
        _responsePosition += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
            _response = null;
        }

        base.Dispose(disposing);
    }
}
