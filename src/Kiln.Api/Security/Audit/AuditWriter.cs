using System.Threading.Channels;
using Kiln.Core.Security.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.Security.Audit;

/// <summary>
/// Takes audit records off the request path: a request only queues its record (no I/O), and this service appends
/// what has queued in batches, one transaction each. Nothing is dropped: the queue is unbounded, a failed append is
/// retried, and stopping the host drains the queue before the stores close.
/// </summary>
public sealed partial class AuditWriter(IAuditStore store, ILogger<AuditWriter> logger) : BackgroundService
{
    private const int MaxBatch = 500;
    private readonly Channel<AuditRecord> _queue = Channel.CreateUnbounded<AuditRecord>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    public void Add(AuditRecord record)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(record))
        {
            // Only after shutdown began: the host is past serving, so this is a straggler; write it directly.
            store.AppendAsync([record]).GetAwaiter().GetResult();
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Waits until every record queued so far is in the store (tests, and <c>kiln audit</c> against a live server).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (Interlocked.Read(ref _pending) > 0)
        {
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditRecord>(MaxBatch);
        // Not cancelled by stoppingToken: the loop ends when StopAsync completes the queue and it is drained.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            await AppendAsync(batch, stoppingToken).ConfigureAwait(false);
            Interlocked.Add(ref _pending, -batch.Count);
            batch.Clear();
        }
    }

    private async Task AppendAsync(List<AuditRecord> batch, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.AppendAsync(batch, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Keep the entries and try again (a locked or briefly unreachable database); while stopping, give up
                // after a few tries and say how many were lost rather than hang the shutdown.
                if (stoppingToken.IsCancellationRequested && attempt >= 5)
                {
                    LogLost(logger, batch.Count, e);
                    return;
                }

                LogRetry(logger, batch.Count, attempt, e);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * attempt)), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not append {Count} audit entries (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, int count, int attempt, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} audit entries that could not be written")]
    private static partial void LogLost(ILogger logger, int count, Exception error);
}
