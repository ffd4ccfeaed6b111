using System.Text.Json;
using StackExchange.Redis;

namespace Kiln.FeatureStore.Streaming;

/// <summary>Where records go: PutRecord on a feature group (in-process or over HTTP).</summary>
public interface IFeatureRecordSink
{
    /// <summary>The group's record identifier feature name; fails when the group does not exist.</summary>
    Task<string> RecordIdentifierAsync(string featureGroup, CancellationToken ct);

    /// <summary>Puts one record. Throws <see cref="RecordRejectedException"/> when the store refuses it (bad input); any other failure is transient.</summary>
    Task PutAsync(string featureGroup, IReadOnlyList<KeyValuePair<string, string>> record, CancellationToken ct);

    /// <summary>The online record for an identifier, or null (none, or no online store).</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>?> GetAsync(string featureGroup, string recordId, CancellationToken ct);
}

/// <summary>The feature store refused a record (unknown feature, wrong type, missing identifier…): retrying will not help.</summary>
public sealed class RecordRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>A stream to read: <c>redis://[:password@]host:port/stream</c>.</summary>
public sealed record RedisStreamSource(string Host, int Port, string Stream, string? Password)
{
    public static RedisStreamSource Parse(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != "redis")
        {
            throw new ArgumentException($"--from must be redis://HOST:PORT/STREAM, got '{text}'.");
        }

        var stream = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (stream.Length == 0)
        {
            throw new ArgumentException($"--from names no stream: redis://HOST:PORT/STREAM, got '{text}'.");
        }

        var password = uri.UserInfo.Length == 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]);
        return new RedisStreamSource(uri.Host, uri.IsDefaultPort ? 6379 : uri.Port, stream, password);
    }

    public ConfigurationOptions Configuration()
    {
        var options = new ConfigurationOptions { Password = Password, ConnectTimeout = 5000 };
        options.EndPoints.Add(Host, Port);
        return options;
    }
}

public sealed record IngestSettings
{
    public required string FeatureGroup { get; init; }

    /// <summary>The Redis consumer group: its position in the stream survives restarts.</summary>
    public required string ConsumerGroup { get; init; }

    public required string Consumer { get; init; }

    /// <summary>Where refused entries go, with the reason (the stream's name plus <c>:dead-letter</c> by default).</summary>
    public required string DeadLetterStream { get; init; }

    public int BatchSize { get; init; } = 100;

    /// <summary>Return once every entry in the stream has been handled, instead of waiting for more.</summary>
    public bool StopWhenCaughtUp { get; init; }

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}

public sealed record IngestReport(long Ingested, long AlreadyStored, long DeadLettered);

/// <summary>
/// Reads a Redis stream through a consumer group (XREADGROUP) and puts each entry's fields as a record into a feature group,
/// acknowledging (XACK) an entry only once it is stored or dead-lettered. A restart first replays this consumer's pending
/// entries (read but never acknowledged: nothing is lost); an entry whose record the online store already holds, unchanged,
/// is acknowledged without a second put, so a stop between a put and its acknowledgement duplicates nothing.
/// A transient failure (server down) stops the run with the entry pending; a refused entry is copied to the dead-letter
/// stream with the reason and acknowledged.
/// </summary>
public sealed class RedisStreamIngestor(IDatabase redis, string stream, IFeatureRecordSink sink, IngestSettings settings, Action<string>? log = null)
{
    private long _ingested;
    private long _alreadyStored;
    private long _deadLettered;
    private string _identifier = "";

    public async Task<IngestReport> RunAsync(CancellationToken ct)
    {
        _identifier = await sink.RecordIdentifierAsync(settings.FeatureGroup, ct);
        await EnsureGroupAsync();

        // Entries delivered to this consumer before a stop and never acknowledged.
        RedisValue after = "0";
        while (true)
        {
            var pending = await redis.StreamReadGroupAsync(stream, settings.ConsumerGroup, settings.Consumer, after, settings.BatchSize);
            if (pending.Length == 0)
            {
                break;
            }

            foreach (var entry in pending)
            {
                if (ct.IsCancellationRequested)
                {
                    return Report();
                }

                await HandleAsync(entry, redelivered: true, ct);
                after = entry.Id;
            }
        }

        while (!ct.IsCancellationRequested)
        {
            var entries = await redis.StreamReadGroupAsync(stream, settings.ConsumerGroup, settings.Consumer, StreamPosition.NewMessages, settings.BatchSize);
            if (entries.Length == 0)
            {
                if (settings.StopWhenCaughtUp)
                {
                    break;
                }

                try
                {
                    await Task.Delay(settings.PollInterval, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            foreach (var entry in entries)
            {
                if (ct.IsCancellationRequested)
                {
                    return Report();
                }

                await HandleAsync(entry, redelivered: false, ct);
            }
        }

        return Report();
    }

    private IngestReport Report() => new(_ingested, _alreadyStored, _deadLettered);

    private async Task EnsureGroupAsync()
    {
        try
        {
            // From the stream's start: entries written before the first run are ingested too.
            await redis.StreamCreateConsumerGroupAsync(stream, settings.ConsumerGroup, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists: carry on from its position.
        }
    }

    private async Task HandleAsync(StreamEntry entry, bool redelivered, CancellationToken ct)
    {
        var record = (entry.Values ?? []).Select(pair => KeyValuePair.Create(pair.Name.ToString(), pair.Value.ToString())).ToList();
        if (record.Count == 0)
        {
            // A pending entry trimmed from the stream since, or an entry with no fields.
            await DeadLetterAsync(entry, record, "EmptyEntry", "The entry has no fields (or was trimmed from the stream).");
            return;
        }

        if (redelivered && await AlreadyStoredAsync(record, ct))
        {
            _alreadyStored++;
            await redis.StreamAcknowledgeAsync(stream, settings.ConsumerGroup, entry.Id);
            return;
        }

        try
        {
            await sink.PutAsync(settings.FeatureGroup, record, ct);
        }
        catch (RecordRejectedException e)
        {
            await DeadLetterAsync(entry, record, e.Code, e.Message);
            return;
        }

        await redis.StreamAcknowledgeAsync(stream, settings.ConsumerGroup, entry.Id);
        _ingested++;
    }

    private async Task<bool> AlreadyStoredAsync(List<KeyValuePair<string, string>> record, CancellationToken ct)
    {
        var id = record.FirstOrDefault(pair => pair.Key == _identifier).Value;
        if (id is null)
        {
            return false;
        }

        var stored = await sink.GetAsync(settings.FeatureGroup, id, ct);
        if (stored is null)
        {
            return false;
        }

        var values = stored.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
        return record.All(pair => values.TryGetValue(pair.Key, out var value) && value == pair.Value) && values.Count == record.Count;
    }

    private async Task DeadLetterAsync(StreamEntry entry, List<KeyValuePair<string, string>> record, string code, string message)
    {
        await redis.StreamAddAsync(settings.DeadLetterStream,
        [
            new NameValueEntry("entry_id", entry.Id),
            new NameValueEntry("error_code", code),
            new NameValueEntry("error", message),
            new NameValueEntry("fields", JsonSerializer.Serialize(record.ToDictionary(pair => pair.Key, pair => pair.Value))),
        ]);
        await redis.StreamAcknowledgeAsync(stream, settings.ConsumerGroup, entry.Id);
        _deadLettered++;
        log?.Invoke($"entry {entry.Id} refused ({code}): {message}; copied to {settings.DeadLetterStream}");
    }
}
