using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Objects;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Capture;

/// <summary>
/// One captured request (and response), in SageMaker's data capture terms. The payloads are the invocation's own
/// buffers, not copies: the caller hands them over and never writes to them again.
/// </summary>
public sealed record CaptureRecord(
    string DestinationUri,
    string Endpoint,
    string Variant,
    DateTimeOffset Time,
    string InferenceId,
    string? InputContentType,
    ReadOnlyMemory<byte>? Input,
    string? OutputContentType,
    ReadOnlyMemory<byte>? Output);

/// <summary>
/// Writes captured traffic off the request path. An invocation formats its record as one line of SageMaker's
/// JSON Lines capture format (a few microseconds, spread evenly over requests rather than done in bursts that
/// would show in the endpoint's p99) and enqueues it, never waiting: when the queue is full the record is
/// dropped and counted. A background loop gathers the lines every 100 ms into a buffer per variant and hour,
/// and stores each buffer as an object under <c>{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/</c> once it is
/// a few seconds old or a few megabytes, which keeps the number of objects reasonable.
/// </summary>
public sealed partial class CaptureWriter(ObjectStore objects, TimeProvider clock, ILogger<CaptureWriter> logger) : BackgroundService
{
    private const int Capacity = 100_000;
    private const int MaxObjectBytes = 8 * 1024 * 1024;
    private static readonly TimeSpan FormatInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxObjectAge = TimeSpan.FromSeconds(2);

    // SageMaker writes captured CSV and JSON as readable text; only what JSON itself requires is escaped.
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A lock-free queue with a count, rather than a bounded channel: every invocation enqueues, and a channel's
    // lock would make request threads queue behind each other and behind the writer.
    private readonly ConcurrentQueue<QueuedLine> _queue = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly Dictionary<GroupKey, PendingObject> _pending = [];
    private int _queued;
    private long _dropped;
    private long _written;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public void Enqueue(CaptureRecord record)
    {
        if (Interlocked.Increment(ref _queued) > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        PooledLine line;
        try
        {
            line = Format(record);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(new QueuedLine(new GroupKey(record.DestinationUri, record.Endpoint, record.Variant, record.Time.UtcTicks / TimeSpan.TicksPerHour), record.Time, line));
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadLine;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadJson;

    /// <summary>
    /// One capture line, with its newline, formatted through this thread's reusable buffer and writer into an array
    /// from the shared pool (returned once the line is appended to its object): a line waits up to 100 ms in the
    /// queue, long enough to outlive a gen0 collection, and fresh arrays would be promoted and collected in gen1.
    /// </summary>
    private static PooledLine Format(CaptureRecord record)
    {
        var buffer = _threadLine ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = _threadJson ??= new Utf8JsonWriter(buffer, LineOptions);
        json.Reset(buffer);
        Line(json, record);
        json.Flush();
        buffer.Write("\n"u8);
        var array = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(array);
        return new PooledLine(array, buffer.WrittenCount);
    }

    /// <summary>Formats and stores everything queued so far (tests and shutdown use it).</summary>
    public Task FlushAsync(CancellationToken ct = default) => ProcessAsync(writeAll: true, ct);

    public override void Dispose()
    {
        _flushing.Dispose();
        foreach (var pending in _pending.Values)
        {
            pending.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(FormatInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await ProcessAsync(writeAll: false, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task ProcessAsync(bool writeAll, CancellationToken ct)
    {
        await _flushing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (_queue.TryDequeue(out var queued))
            {
                Interlocked.Decrement(ref _queued);
                if (!_pending.TryGetValue(queued.Key, out var pending))
                {
                    _pending[queued.Key] = pending = new PendingObject();
                }

                pending.Append(queued.Time, queued.Line.Span);
                ArrayPool<byte>.Shared.Return(queued.Line.Array);
            }

            var now = clock.GetUtcNow();
            var thisHour = now.UtcTicks / TimeSpan.TicksPerHour;
            foreach (var (key, pending) in _pending.ToList())
            {
                if (pending.Records > 0 && (writeAll || pending.Bytes >= MaxObjectBytes || now - pending.FirstTime >= MaxObjectAge))
                {
                    await WriteAsync(key, pending, ct).ConfigureAwait(false);
                }

                if (pending.Records == 0 && key.Hour < thisHour)
                {
                    _pending.Remove(key);
                    pending.Dispose();
                }
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    private async Task WriteAsync(GroupKey key, PendingObject pending, CancellationToken ct)
    {
        try
        {
            var (bucket, prefix) = DataUris.S3Location(key.Destination.TrimEnd('/'));
            var first = pending.FirstTime.UtcDateTime;
            var hour = first.ToString("yyyy/MM/dd/HH", CultureInfo.InvariantCulture);
            var objectKey = string.Join('/', new[] { prefix, key.Endpoint, key.Variant, hour }.Where(part => part.Length > 0))
                + $"/{first:mm-ss-fff}-{Guid.NewGuid():N}.jsonl";
            await objects.EnsureBucketAsync(bucket, ct).ConfigureAwait(false);
            await objects.PutAsync(bucket, objectKey, pending.Content(), "application/jsonlines", null, null, ct).ConfigureAwait(false);
            Interlocked.Add(ref _written, pending.Records);
        }
        catch (Exception e) when (e is ObjectStoreException or IOException)
        {
            Interlocked.Add(ref _dropped, pending.Records);
            LogWriteFailed(e, key.Endpoint);
        }
        finally
        {
            pending.Clear();
        }
    }

    /// <summary>SageMaker's capture record: captureData (endpointInput/endpointOutput) and eventMetadata.</summary>
    private static void Line(Utf8JsonWriter w, CaptureRecord record)
    {
        w.WriteStartObject();
        w.WriteStartObject("captureData");
        if (record.Input is { } input)
        {
            Payload(w, "endpointInput"u8, "INPUT"u8, record.InputContentType, input.Span);
        }

        if (record.Output is { } output)
        {
            Payload(w, "endpointOutput"u8, "OUTPUT"u8, record.OutputContentType, output.Span);
        }

        w.WriteEndObject();
        w.WriteStartObject("eventMetadata");
        w.WriteString("eventId"u8, FastIds.Next());
        w.WriteString("inferenceId"u8, record.InferenceId);
        Span<byte> time = stackalloc byte[24];
        w.WriteString("inferenceTime"u8, time[..IsoMilliseconds(record.Time.UtcDateTime, time)]);
        w.WriteEndObject();
        w.WriteString("eventVersion"u8, "0"u8);
        w.WriteEndObject();
    }

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss.fffZ: the round-trip format ("O", a fast path) cut to milliseconds. A custom format
    /// string is parsed on every call, which made it the dearest part of a capture line.
    /// </summary>
    private static int IsoMilliseconds(DateTime utc, Span<byte> into)
    {
        Span<byte> roundTrip = stackalloc byte[28];
        utc.TryFormat(roundTrip, out _, "O", CultureInfo.InvariantCulture);
        roundTrip[..23].CopyTo(into);
        into[23] = (byte)'Z';
        return 24;
    }

    /// <summary>CSV and JSON bodies are kept as text (encoding CSV / JSON); anything else, or bytes that are not UTF-8, as base64.</summary>
    private static void Payload(Utf8JsonWriter w, ReadOnlySpan<byte> name, ReadOnlySpan<byte> mode, string? contentType, ReadOnlySpan<byte> data)
    {
        var type = contentType ?? "application/octet-stream";
        var text = Utf8.IsValid(data);
        var encoding = !text ? "BASE64"
            : type.Contains("csv", StringComparison.OrdinalIgnoreCase) ? "CSV"
            : type.Contains("json", StringComparison.OrdinalIgnoreCase) ? "JSON" : "BASE64";
        w.WriteStartObject(name);
        w.WriteString("observedContentType"u8, type);
        w.WriteString("mode"u8, mode);
        if (encoding == "BASE64")
        {
            w.WriteBase64String("data"u8, data);
        }
        else
        {
            w.WriteString("data"u8, data);
        }

        w.WriteString("encoding"u8, encoding);
        w.WriteEndObject();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data capture for endpoint {Endpoint} could not be written")]
    private partial void LogWriteFailed(Exception exception, string endpoint);

    private readonly record struct GroupKey(string Destination, string Endpoint, string Variant, long Hour);

    private readonly record struct QueuedLine(GroupKey Key, DateTimeOffset Time, PooledLine Line);

    private readonly record struct PooledLine(byte[] Array, int Length)
    {
        public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);
    }

    /// <summary>The formatted lines of one future object; its buffer is reused for the next one.</summary>
    private sealed class PendingObject : IDisposable
    {
        private readonly MemoryStream _buffer = new();

        public int Records { get; private set; }

        public DateTimeOffset FirstTime { get; private set; }

        public long Bytes => _buffer.Length;

        public void Append(DateTimeOffset time, ReadOnlySpan<byte> line)
        {
            if (Records++ == 0)
            {
                FirstTime = time;
            }

            _buffer.Write(line);
        }

        public Stream Content()
        {
            _buffer.Position = 0;
            return _buffer;
        }

        public void Clear()
        {
            _buffer.SetLength(0);
            Records = 0;
        }

        public void Dispose() => _buffer.Dispose();
    }
}
