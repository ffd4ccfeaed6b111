using Kiln.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Kiln.Jobs;

/// <summary>
/// Runs one job. The run itself happens off the grain's scheduler (it is long, CPU-bound work); the
/// grain keeps a watchdog reminder while the job is unfinished. If the node running the job dies, or
/// the whole service restarts, the reminder fires on a live node, a new activation finds the job
/// unfinished and not running, and starts it again as a restart.
/// </summary>
// The stop source is disposed when the activation ends (OnDeactivateAsync), not by IDisposable.
#pragma warning disable CA1001
[JobPlacement]
internal sealed partial class JobGrain(
    IEnumerable<IJobRunner> runners,
    IEnumerable<IJobRunCompanion> companions,
    JobSlots slots,
    IOptions<JobEngineOptions> options,
    ILocalSiloDetails silo,
    ILogger<JobGrain> logger) : Grain, IJobGrain, IRemindable
{
    private const string Watchdog = "watchdog";
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;
    private int _attempts;

    private (string Kind, string Name) Key
    {
        get
        {
            var key = this.GetPrimaryKeyString();
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            return (key[..slash], key[(slash + 1)..]);
        }
    }

    private IJobRunner Runner => runners.FirstOrDefault(runner => runner.Kind == Key.Kind)
        ?? throw new InvalidOperationException($"No job runner for kind '{Key.Kind}'");

    public async Task Start()
    {
        await this.RegisterOrUpdateReminder(Watchdog, options.Value.WatchdogPeriod, options.Value.WatchdogPeriod);
        BeginRun(isRestart: false);
    }

    public async Task Stop()
    {
        await _stop.CancelAsync();
        // A job waiting to be resumed here is started so that it can record that it stopped.
        if (_run is null && !await Runner.IsFinishedAsync(Key.Name))
        {
            BeginRun(isRestart: false);
        }
    }

    public Task<JobActivation> Describe() =>
        Task.FromResult(new JobActivation(silo.SiloAddress.ToString(), _run is { IsCompleted: false }, _attempts));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_run is not null)
        {
            return;
        }

        if (await Runner.IsFinishedAsync(Key.Name))
        {
            await ForgetAsync();
            return;
        }

        LogResuming(Key.Kind, Key.Name, silo.SiloAddress);
        BeginRun(isRestart: true);
    }

    public async Task RunEnded()
    {
        if (_run is { IsCompleted: false })
        {
            return;
        }

        _run = null;
        if (await Runner.IsFinishedAsync(Key.Name))
        {
            await ForgetAsync();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _stop.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private void BeginRun(bool isRestart)
    {
        if (_run is { IsCompleted: false })
        {
            return;
        }

        _attempts++;
        // Keep this activation while the job runs: a second activation elsewhere would run it twice.
        DelayDeactivation(TimeSpan.FromDays(30));
        var run = new JobRun(Key.Name, isRestart, silo.SiloAddress.Endpoint.ToString(), slots, _stop.Token, slots.Shutdown);
        var runner = Runner;
        var self = this.AsReference<IJobGrain>();
        var (kind, name) = Key;
        var work = Task.Run(async () =>
        {
            var running = runner.RunAsync(run);
            var alongside = companions.Select(companion => AccompanyAsync(companion, kind, name, running)).ToList();
            try
            {
                await running;
            }
            catch (OperationCanceledException) when (slots.Shutdown.IsCancellationRequested)
            {
                LogInterrupted(kind, name);
                return false;
            }
            catch (Exception e)
            {
                LogRunFailed(e, kind, name);
            }
            finally
            {
                await Task.WhenAll(alongside);
            }

            return true;
        });
        _run = work;

        // Reported once the run's task has completed, not from inside it: RunEnded takes a run still going for a
        // newer run, so reporting from inside the run was ignored and kept the reminder and the activation forever.
        _ = Task.Run(async () =>
        {
            try
            {
                if (await work)
                {
                    await self.RunEnded();
                }
            }
            catch (Exception e) when (slots.Shutdown.IsCancellationRequested)
            {
                LogInterrupted(kind, name);
                _ = e;
            }
        });
    }

    private async Task AccompanyAsync(IJobRunCompanion companion, string kind, string name, Task running)
    {
        try
        {
            await companion.AccompanyAsync(kind, name, running, slots.Shutdown);
        }
        catch (Exception e) when (e is not OperationCanceledException || !slots.Shutdown.IsCancellationRequested)
        {
            LogCompanionFailed(e, kind, name);
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down: the job resumes elsewhere, and so does what goes with it.
        }
    }

    private async Task ForgetAsync()
    {
        if (await this.GetReminder(Watchdog) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        DelayDeactivation(TimeSpan.Zero);
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming {Kind} job {Name} on {Silo}: it was unfinished and not running")]
    private partial void LogResuming(string kind, string name, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} job {Name} interrupted by node shutdown; another node resumes it")]
    private partial void LogInterrupted(string kind, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} job {Name}: work alongside the run failed")]
    private partial void LogCompanionFailed(Exception exception, string kind, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} job {Name}: the runner failed")]
    private partial void LogRunFailed(Exception exception, string kind, string name);
}
#pragma warning restore CA1001
