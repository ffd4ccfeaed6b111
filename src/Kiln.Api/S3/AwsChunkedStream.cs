using System.Globalization;
using System.Text;

namespace Kiln.Api.S3;

/// <summary>
/// Decodes an <c>aws-chunked</c> request body (<c>hex-size[;chunk-signature=…]\r\n data \r\n … 0\r\n trailers \r\n\r\n</c>),
/// which SDKs use for streaming uploads with trailing checksums. Yields only the data.
/// </summary>
internal sealed class AwsChunkedStream(Stream inner) : Stream
{
    private readonly BufferedStream _input = new(inner, 64 * 1024);
    private long _remainingInChunk;
    private bool _done;

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
        if (_done || buffer.Length == 0)
        {
            return 0;
        }

        if (_remainingInChunk == 0)
        {
            var header = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            var size = header.Split(';', 2)[0].Trim();
            if (!long.TryParse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _remainingInChunk))
            {
                throw new InvalidDataException($"Malformed aws-chunked body: chunk header '{header}'.");
            }

            if (_remainingInChunk == 0)
            {
                // Trailing headers (checksums) up to an empty line; the data has ended.
                while ((await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
                {
                }

                _done = true;
                return 0;
            }
        }

        var read = await _input.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remainingInChunk)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new InvalidDataException("Malformed aws-chunked body: it ended inside a chunk.");
        }

        _remainingInChunk -= read;
        if (_remainingInChunk == 0)
        {
            await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await _input.ReadAsync(one, ct).ConfigureAwait(false) == 0)
            {
                return line.ToString();
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }
    }
}
