using System.Security.Cryptography;
using System.Threading.Channels;
using Kiln.Core.Logs;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Logs;

/// <summary>
/// Writes the endpoints' replica logs off the request path: a line is stamped and queued (never blocking; when
/// the queue is full the line is dropped and counted), and one writer appends the queued lines to the files.
/// </summary>
public sealed partial class EndpointLogWriter : IDisposable
{
    private const int Capacity = 100_000;

    private readonly EndpointLogFiles _files;
    private readonly TimeProvider _clock;
    private readonly ILogger<EndpointLogWriter> _logger;
    private readonly Channel<QueuedLine> _queue = Channel.CreateBounded<QueuedLine>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly Task _pump;
    private long _dropped;

    public EndpointLogWriter(EndpointLogFiles files, TimeProvider clock, ILogger<EndpointLogWriter> logger)
    {
        _files = files;
        _clock = clock;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A new replica's log, with an instance id of its own (SageMaker's <c>i-</c> and 17 hex digits).</summary>
    public ReplicaLog Open(string endpoint, string variant)
    {
        var instance = "i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17];
        return new ReplicaLog(this, _files.File(endpoint, variant, instance), $"{variant}/{instance}");
    }

    /// <summary>Waits (briefly) for queued lines to be written, then stops the writer.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _pump.Wait(TimeSpan.FromSeconds(5));
    }

    internal void Enqueue(string file, string line)
    {
        if (!_queue.Writer.TryWrite(new QueuedLine(file, _clock.GetUtcNow().ToUnixTimeMilliseconds(), line)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task PumpAsync()
    {
        var batch = new List<QueuedLine>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 10_000 && _queue.Reader.TryRead(out var line))
            {
                batch.Add(line);
            }

            foreach (var file in batch.GroupBy(line => line.File, StringComparer.Ordinal))
            {
                try
                {
                    using var writer = new JobLogWriter(file.Key, _clock);
                    foreach (var line in file)
                    {
                        writer.WriteLine(line.Text, line.Timestamp);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    LogWriteFailed(e, file.Key);
                }
            }

            batch.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the endpoint log {File}")]
    private partial void LogWriteFailed(Exception exception, string file);

    private readonly record struct QueuedLine(string File, long Timestamp, string Text);
}

/// <summary>One replica's log: its stream name and a non-blocking <see cref="Write"/>.</summary>
public sealed class ReplicaLog
{
    private readonly EndpointLogWriter _writer;
    private readonly string _file;

    internal ReplicaLog(EndpointLogWriter writer, string file, string stream)
    {
        _writer = writer;
        _file = file;
        Stream = stream;
    }

    /// <summary>The log stream's name, <c>{variant}/{instance id}</c>.</summary>
    public string Stream { get; }

    public void Write(string line) => _writer.Enqueue(_file, line);
}
