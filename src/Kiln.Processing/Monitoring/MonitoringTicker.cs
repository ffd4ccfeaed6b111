using Kiln.Core.Monitoring;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Processing.Monitoring;

/// <summary>
/// Runs the monitoring executor every few seconds on the injected clock. A hosted service rather than a job on the
/// engine because what it does is a pass over stored state, not one long piece of work: after a restart the next
/// tick picks up every due schedule and unfinished execution, and two nodes ticking at once are kept apart by the
/// store's atomic updates.
/// </summary>
public sealed partial class MonitoringTicker(MonitoringExecutor executor, TimeProvider clock, ILogger<MonitoringTicker> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await executor.TickAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTickFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model Monitor tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
