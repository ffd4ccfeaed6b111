using System.Collections.Concurrent;
using Kiln.Core.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Kiln.Jobs;

/// <summary>One secondary host of a distributed training job, as the node running algo-1 asks another node to run it.</summary>
[GenerateSerializer, Immutable, Alias("Kiln.Jobs.TrainingHostRun")]
public sealed record TrainingHostRun(
    [property: Id(0)] string Job,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string Host,
    [property: Id(3)] string[] Hosts,
    [property: Id(4)] string MasterAddress,
    [property: Id(5)] int MasterPort)
{
    public string Id => $"{Job}/{Attempt}/{Host}";
}

/// <summary>What a host wrote since the last poll, and whether it has ended (with why it failed, if it did).</summary>
[GenerateSerializer, Immutable, Alias("Kiln.Jobs.TrainingHostProgress")]
public sealed record TrainingHostProgress([property: Id(0)] string[] Lines, [property: Id(1)] bool Ended, [property: Id(2)] string? Failure);

/// <summary>
/// Runs on every node (an Orleans grain service): starts a distributed training job's secondary host here and reports
/// its lines and its end when polled. Polling, rather than one long call, keeps every call short (a host may run for
/// hours); a host nobody polls for <see cref="Abandoned"/> lost its algo-1 node, and is stopped.
/// </summary>
[Alias("Kiln.Jobs.ITrainingHostService")]
public interface ITrainingHostService : IGrainService
{
    [Alias("Start")]
    Task Start(TrainingHostRun run);

    [Alias("Poll")]
    Task<TrainingHostProgress> Poll(string id);

    [Alias("Stop")]
    Task Stop(string id);
}

[Reentrant]
internal sealed partial class TrainingHostService(GrainId grainId, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, IServiceProvider services, JobSlots slots, TimeProvider clock)
    : GrainService(grainId, silo, loggerFactory), ITrainingHostService
{
    internal static readonly TimeSpan Abandoned = TimeSpan.FromSeconds(60);
    private const int MaxLinesPerPoll = 5_000;

    private readonly ConcurrentDictionary<string, HostRun> _runs = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggerFactory.CreateLogger<TrainingHostService>();

    public Task Start(TrainingHostRun run)
    {
        var runner = services.GetService<ITrainingHostRunner>()
            ?? throw new InvalidOperationException("This node does not run training jobs.");
        var host = new HostRun(clock);
        if (!_runs.TryAdd(run.Id, host))
        {
            return Task.CompletedTask;
        }

        var hosts = new TrainingHosts(run.Host, run.Hosts, run.MasterAddress, run.MasterPort);
        LogStarting(run.Host, run.Job, run.Attempt);
        host.Work = Task.Run(async () =>
        {
            // The host counts against this node's slots when one is free; it never queues (algo-1 is waiting for it).
            using var slot = slots.TryAcquire();
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(host.Stop.Token, slots.Shutdown);
            try
            {
                await runner.RunAsync(run.Job, run.Attempt, hosts, host.Lines.Enqueue, shutdown.Token);
                host.End(null);
            }
            catch (OperationCanceledException)
            {
                host.End(slots.Shutdown.IsCancellationRequested ? $"the node running {run.Host} is shutting down" : $"{run.Host} was stopped");
            }
            catch (Exception e)
            {
                host.End(e.Message);
            }
        });
        _ = Task.Run(() => WatchAsync(run.Id, host));
        return Task.CompletedTask;
    }

    public Task<TrainingHostProgress> Poll(string id)
    {
        if (!_runs.TryGetValue(id, out var host))
        {
            return Task.FromResult(new TrainingHostProgress([], true, "this node does not know the host (it restarted since it was started)"));
        }

        host.Polled();
        var lines = new List<string>();
        while (lines.Count < MaxLinesPerPoll && host.Lines.TryDequeue(out var line))
        {
            lines.Add(line);
        }

        // Ended only once every line is out, so none is lost after the end is reported.
        var ended = host.Ended && host.Lines.IsEmpty;
        if (ended)
        {
            _runs.TryRemove(id, out _);
        }

        return Task.FromResult(new TrainingHostProgress([.. lines], ended, ended ? host.Failure : null));
    }

    public async Task Stop(string id)
    {
        if (_runs.TryGetValue(id, out var host) && !host.Ended)
        {
            await host.Stop.CancelAsync();
        }
    }

    private async Task WatchAsync(string id, HostRun host)
    {
        while (!host.Ended)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), clock, CancellationToken.None);
            if (!host.Ended && clock.GetUtcNow() - host.LastPoll > Abandoned)
            {
                LogAbandoned(id);
                await host.Stop.CancelAsync();
            }
        }

        // Nobody came for the end either: forget it after a while.
        await Task.Delay(Abandoned, clock, CancellationToken.None);
        if (_runs.TryGetValue(id, out var still) && still == host && clock.GetUtcNow() - host.LastPoll > Abandoned)
        {
            _runs.TryRemove(id, out _);
        }
    }

    private sealed class HostRun(TimeProvider clock)
    {
        private long _lastPoll = clock.GetUtcNow().UtcTicks;
        private volatile bool _ended;

        public ConcurrentQueue<string> Lines { get; } = new();

        public CancellationTokenSource Stop { get; } = new();

        public Task? Work { get; set; }

        public bool Ended => _ended;

        public string? Failure { get; private set; }

        public DateTimeOffset LastPoll => new(Interlocked.Read(ref _lastPoll), TimeSpan.Zero);

        public void Polled() => Interlocked.Exchange(ref _lastPoll, clock.GetUtcNow().UtcTicks);

        public void End(string? failure)
        {
            Failure = failure;
            _ended = true;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Running {Host} of training job {Job} (attempt {Attempt}) on this node")]
    private partial void LogStarting(string host, string job, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping training host {Id}: the node running its algo-1 has not asked for it in a minute")]
    private partial void LogAbandoned(string id);
}

/// <summary>Asks a given node's <see cref="ITrainingHostService"/>.</summary>
public interface ITrainingHostClient : IGrainServiceClient<ITrainingHostService>
{
    ITrainingHostService On(SiloAddress silo);
}

internal sealed class TrainingHostClient(IServiceProvider services) : GrainServiceClient<ITrainingHostService>(services), ITrainingHostClient
{
    public ITrainingHostService On(SiloAddress silo) => GetGrainService(silo);
}
