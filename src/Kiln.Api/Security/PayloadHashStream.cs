using System.Security.Cryptography;

namespace Kiln.Api.Security;

/// <summary>
/// Passes a signed request body through and checks, when it ends, that its SHA-256 is the
/// <c>x-amz-content-sha256</c> the signature covered; a body that differs fails its last read, before anything
/// reading it to the end (the object store) commits it.
/// </summary>
internal sealed class PayloadHashStream(Stream inner, string expectedHex) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            _hash.AppendData(buffer.Span[..read]);
        }
        else if (buffer.Length > 0 && !_checked)
        {
            _checked = true;
            var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
            if (!string.Equals(actual, expectedHex, StringComparison.OrdinalIgnoreCase))
            {
                throw new PayloadHashMismatchException(expectedHex, actual);
            }
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The body is not the one the signature covered (S3's <c>XAmzContentSHA256Mismatch</c>).</summary>
internal sealed class PayloadHashMismatchException(string claimed, string computed)
    : IOException($"The provided 'x-amz-content-sha256' header does not match what was computed. Client: {claimed}, computed: {computed}.");
