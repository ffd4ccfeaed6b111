using System.Security.Cryptography;

namespace Kiln.Core.Objects;

/// <summary>
/// Reads through to another stream while hashing (MD5, and the S3 checksum <paramref name="checks"/> names) and
/// counting; at the end it refuses (BadDigest) when a claimed digest does not match, and past
/// <paramref name="maxLength"/> bytes it refuses (EntityTooLarge), before the writer keeps anything.
/// </summary>
internal sealed class HashingStream(Stream inner, byte[]? expectedMd5, ContentChecks? checks = null, long maxLength = long.MaxValue) : ForwardReadStream
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly ChecksumHasher? _checksum = checks?.Algorithm is { } algorithm ? new ChecksumHasher(algorithm) : null;
    private byte[]? _digest;
    private long _length;

    public byte[] Digest => _digest ?? throw new InvalidOperationException("The stream has not been read to its end.");

    /// <summary>The S3 checksum of the body, when one was asked for.</summary>
    public ObjectChecksum? Checksum { get; private set; }

    public override long Length => _length;

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        return Account(buffer[..read], buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read], buffer.Length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _md5.Dispose();
            _checksum?.Dispose();
        }

        base.Dispose(disposing);
    }

    public static ObjectStoreException TooLarge(long maxLength) =>
        new(ObjectError.EntityTooLarge, $"Your proposed upload exceeds the maximum allowed object size ({maxLength} bytes).");

    private int Account(ReadOnlySpan<byte> data, int asked)
    {
        if (data.Length > 0)
        {
            if (_length + data.Length > maxLength)
            {
                throw TooLarge(maxLength);
            }

            _md5.AppendData(data);
            _checksum?.Append(data);
            _length += data.Length;
        }
        else if (_digest is null && asked > 0)
        {
            _digest = _md5.GetHashAndReset();
            if (expectedMd5 is not null && !expectedMd5.AsSpan().SequenceEqual(_digest))
            {
                throw new ObjectStoreException(ObjectError.BadDigest, "The Content-MD5 you specified did not match what we received.");
            }

            Checksum = _checksum?.Finish();
            if (Checksum is not null && checks?.ClaimedChecksum?.Invoke() is { } claimed && claimed != Checksum.Value)
            {
                throw new ObjectStoreException(ObjectError.BadDigest, $"The {ObjectChecksum.Name(Checksum.Algorithm)} you specified did not match the calculated checksum.");
            }
        }

        return data.Length;
    }
}

/// <summary>Several streams read one after the other.</summary>
internal sealed class ConcatenatedStream(IReadOnlyList<Stream> parts) : ForwardReadStream
{
    private int _current;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current < parts.Count)
        {
            var read = await parts[_current].ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                return read;
            }

            _current++;
        }

        return 0;
    }

}

/// <summary>The next <paramref name="length"/> bytes of another stream; the other stream is not disposed.</summary>
internal sealed class BoundedStream(Stream inner, long length) : ForwardReadStream
{
    private readonly long _length = length;
    private long _remaining = length;

    public override long Length => _length;

    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0 || buffer.Length == 0)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new InvalidDataException("The source object ended before the range that was to be copied.");
        }

        _remaining -= read;
        return read;
    }

}

/// <summary>A stream read once from start to end: no seeking, no writing.</summary>
internal abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
