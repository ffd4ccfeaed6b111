using System.Globalization;
using System.Text;

namespace Kiln.Api.S3;

/// <summary>
/// Decodes an <c>aws-chunked</c> request body (<c>hex-size[;chunk-signature=…]\r\n data \r\n … 0\r\n trailers \r\n\r\n</c>),
/// which SDKs use for streaming uploads with trailing checksums. Yields only the data; the trailers are in
/// <see cref="Trailers"/> once the data has been read to its end. Framing lines are bounded, so a body that never
/// ends a line is refused rather than buffered. With <paramref name="decodedLength"/> (x-amz-decoded-content-length)
/// data of another length is refused. With <paramref name="signatures"/> (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) every
/// chunk's <c>chunk-signature</c> is checked when the chunk ends, before its data's last byte is handed on.
/// </summary>
internal sealed class AwsChunkedStream(Stream inner, long? decodedLength = null, Security.ChunkSignatures? signatures = null) : Stream
{
    public const int MaxLineLength = 4096;
    private const int MaxTrailers = 16;
    private readonly BufferedStream _input = new(inner, 64 * 1024);
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private long _remainingInChunk;
    private long _decoded;
    private bool _done;
    private System.Security.Cryptography.IncrementalHash? _chunkHash;
    private string? _chunkSignature;

    /// <summary>The length of the data the client declared (x-amz-decoded-content-length), if it did.</summary>
    public long? DecodedLength => decodedLength;

    /// <summary>The trailing headers (names in any case), complete once a read has returned 0.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

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
            if (size.Length is 0 or > 15 || !long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _remainingInChunk))
            {
                throw new InvalidDataException($"Malformed aws-chunked body: chunk header '{header}'.");
            }

            if (signatures is not null)
            {
                var marker = header.IndexOf(";chunk-signature=", StringComparison.Ordinal);
                _chunkSignature = marker < 0 ? null : header[(marker + ";chunk-signature=".Length)..].Trim();
                _chunkHash ??= System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                if (_remainingInChunk == 0)
                {
                    signatures.Verify(_chunkSignature, _chunkHash.GetHashAndReset());
                }
            }

            if (decodedLength is { } limit && _remainingInChunk > limit - _decoded)
            {
                // Refused on its header, so a chunk that claims more than the body declared is never read.
                throw new InvalidDataException($"Malformed aws-chunked body: a chunk of {_remainingInChunk} bytes goes past x-amz-decoded-content-length ({limit}).");
            }

            if (_remainingInChunk == 0)
            {
                // Trailing headers (checksums) up to an empty line or the end of the body; the data has ended.
                string line;
                while ((line = await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0 || _trailers.Count >= MaxTrailers)
                    {
                        throw new InvalidDataException($"Malformed aws-chunked body: trailer '{line}'.");
                    }

                    _trailers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }

                _done = true;
                if (decodedLength is { } declared && declared != _decoded)
                {
                    throw new InvalidDataException($"The aws-chunked body carried {_decoded} bytes of data, but x-amz-decoded-content-length is {declared}.");
                }

                return 0;
            }
        }

        var read = await _input.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remainingInChunk)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new InvalidDataException("Malformed aws-chunked body: it ended inside a chunk.");
        }

        _remainingInChunk -= read;
        _decoded += read;
        if (signatures is not null)
        {
            _chunkHash!.AppendData(buffer.Span[..read]);
            if (_remainingInChunk == 0)
            {
                signatures.Verify(_chunkSignature, _chunkHash.GetHashAndReset());
            }
        }
        if (_remainingInChunk == 0 && (await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
        {
            throw new InvalidDataException("Malformed aws-chunked body: a chunk is longer than its declared size.");
        }

        return read;
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _chunkHash?.Dispose();
        }

        base.Dispose(disposing);
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

            if (line.Length >= MaxLineLength)
            {
                throw new InvalidDataException($"Malformed aws-chunked body: a chunk header or trailer line is longer than {MaxLineLength} bytes.");
            }

            line.Append((char)one[0]);
        }
    }
}
