using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Kiln.Core.Artifacts;
using Kiln.Core.Objects;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Hosting.Capture;

/// <summary>One captured request (and response), in SageMaker's data capture terms.</summary>
public sealed record CaptureRecord(
    string DestinationUri,
    string Endpoint,
    string Variant,
    DateTimeOffset Time,
    string EventId,
    string InferenceId,
    string? InputContentType,
    byte[]? Input,
    string? OutputContentType,
    byte[]? Output);

/// <summary>
/// Writes captured traffic off the request path: invocations enqueue (never waiting — when the queue is full a
/// record is dropped and counted), a background loop writes SageMaker's JSON Lines capture format to
/// <c>{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/…jsonl</c>, one object per variant and hour per flush.
/// </summary>
public sealed partial class CaptureWriter(ObjectStore objects, ILogger<CaptureWriter> logger) : BackgroundService
{
    private const int Capacity = 100_000;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500);
    private readonly Channel<CaptureRecord> _queue = Channel.CreateBounded<CaptureRecord>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long _dropped;
    private long _written;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public void Enqueue(CaptureRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes everything queued so far (tests and shutdown use it).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var batch = new List<CaptureRecord>();
        while (_queue.Reader.TryRead(out var record))
        {
            batch.Add(record);
        }

        await WriteAsync(batch, ct).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(FlushInterval, stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(List<CaptureRecord> batch, CancellationToken ct)
    {
        foreach (var group in batch.GroupBy(record => (record.DestinationUri, record.Endpoint, record.Variant, Hour: record.Time.UtcDateTime.ToString("yyyy/MM/dd/HH", System.Globalization.CultureInfo.InvariantCulture))))
        {
            try
            {
                var (bucket, prefix) = DataUris.S3Location(group.Key.DestinationUri.TrimEnd('/'));
                var first = group.First().Time.UtcDateTime;
                var key = string.Join('/', new[] { prefix, group.Key.Endpoint, group.Key.Variant, group.Key.Hour }.Where(part => part.Length > 0))
                    + $"/{first:mm-ss-fff}-{Guid.NewGuid():N}.jsonl";
                var lines = new StringBuilder();
                foreach (var record in group)
                {
                    lines.Append(Line(record)).Append('\n');
                }

                try
                {
                    await objects.CreateBucketAsync(bucket, ct).ConfigureAwait(false);
                }
                catch (ObjectStoreException e) when (e.Error == ObjectError.BucketAlreadyOwnedByYou)
                {
                }

                using var content = new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString()));
                await objects.PutAsync(bucket, key, content, "application/jsonlines", null, null, ct).ConfigureAwait(false);
                Interlocked.Add(ref _written, group.Count());
            }
            catch (Exception e) when (e is ObjectStoreException or IOException)
            {
                Interlocked.Add(ref _dropped, group.Count());
                LogWriteFailed(e, group.Key.Endpoint);
            }
        }
    }

    /// <summary>SageMaker's capture record: captureData (endpointInput/endpointOutput) and eventMetadata.</summary>
    private static string Line(CaptureRecord record)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("captureData");
            w.WriteStartObject();
            if (record.Input is not null)
            {
                Payload(w, "endpointInput", "INPUT", record.InputContentType, record.Input);
            }

            if (record.Output is not null)
            {
                Payload(w, "endpointOutput", "OUTPUT", record.OutputContentType, record.Output);
            }

            w.WriteEndObject();
            w.WritePropertyName("eventMetadata");
            w.WriteStartObject();
            w.WriteString("eventId", record.EventId);
            w.WriteString("inferenceId", record.InferenceId);
            w.WriteString("inferenceTime", record.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteString("eventVersion", "0");
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>CSV and JSON bodies are kept as text (encoding CSV / JSON); anything else is base64.</summary>
    private static void Payload(Utf8JsonWriter w, string name, string mode, string? contentType, byte[] data)
    {
        var type = contentType ?? "application/octet-stream";
        var encoding = type.Contains("csv", StringComparison.OrdinalIgnoreCase) ? "CSV"
            : type.Contains("json", StringComparison.OrdinalIgnoreCase) ? "JSON" : "BASE64";
        w.WritePropertyName(name);
        w.WriteStartObject();
        w.WriteString("observedContentType", type);
        w.WriteString("mode", mode);
        w.WriteString("data", encoding == "BASE64" ? Convert.ToBase64String(data) : Encoding.UTF8.GetString(data));
        w.WriteString("encoding", encoding);
        w.WriteEndObject();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data capture for endpoint {Endpoint} could not be written")]
    private partial void LogWriteFailed(Exception exception, string endpoint);
}
