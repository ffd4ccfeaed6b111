using Kiln.Core.Training;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Kiln.Jobs;

/// <summary>
/// Starts a distributed training job's secondary hosts on the cluster's nodes: one host a node while there are other
/// nodes with job slots (those with the most free slots first), then this node again, round and round. Each host runs
/// in its node's <see cref="ITrainingHostService"/>, polled for its lines until it ends. With one node (the embedded
/// server) every host runs here.
/// </summary>
internal sealed partial class OrleansTrainingHostLauncher(
    ILocalSiloDetails local,
    IClusterMembershipService membership,
    INodeSlotsClient nodes,
    ITrainingHostClient hosts,
    ILogger<OrleansTrainingHostLauncher> logger) : ITrainingHostLauncher
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public string LocalAddress => local.SiloAddress.Endpoint.Address.ToString();

    public async Task RunAsync(string jobName, int attempt, TrainingHosts all, Action<string, string> onLine, CancellationToken ct)
    {
        var secondaries = all.All.Skip(1).ToList();
        var places = await PlaceAsync(secondaries.Count).ConfigureAwait(false);
        await TrainingHostGroup.RunAllAsync(
            secondaries.Select((host, index) => (Func<CancellationToken, Task>)(async token =>
            {
                try
                {
                    await RunHostAsync(new TrainingHostRun(jobName, attempt, host, [.. all.All], all.MasterAddress, all.MasterPort), places[index], line => onLine(host, line), token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw TrainingHostGroup.Named(host, e);
                }
            })).ToList(),
            ct).ConfigureAwait(false);
    }

    private async Task RunHostAsync(TrainingHostRun run, SiloAddress silo, Action<string> onLine, CancellationToken ct)
    {
        var service = hosts.On(silo);
        var where = silo.Equals(local.SiloAddress) ? "this node" : "node " + silo.Endpoint;
        onLine($"Kiln: {run.Host} runs on {where} (rank {Array.IndexOf(run.Hosts, run.Host)} of {run.Hosts.Length})");
        LogPlaced(run.Host, run.Job, silo);
        try
        {
            await service.Start(run).WaitAsync(CallTimeout, ct).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(PollEvery, ct).ConfigureAwait(false);
                var progress = await service.Poll(run.Id).WaitAsync(CallTimeout, ct).ConfigureAwait(false);
                foreach (var line in progress.Lines)
                {
                    onLine(line);
                }

                if (progress.Ended)
                {
                    if (progress.Failure is { } failure)
                    {
                        throw new TrainingFailedException(failure);
                    }

                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await StopQuietlyAsync(service, run.Id).ConfigureAwait(false);
            throw;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            await StopQuietlyAsync(service, run.Id).ConfigureAwait(false);
            throw new TrainingFailedException($"the node running it ({silo.Endpoint}) stopped answering: {e.Message}", e);
        }
    }

    private async Task StopQuietlyAsync(ITrainingHostService service, string id)
    {
        try
        {
            await service.Stop(id).WaitAsync(CallTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            LogNotStopped(id, e.Message);
        }
    }

    /// <summary>Nodes for <paramref name="count"/> hosts: the other live nodes with job slots, most free first, then this one, repeated.</summary>
    private async Task<IReadOnlyList<SiloAddress>> PlaceAsync(int count)
    {
        var others = membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active && !member.SiloAddress.Equals(local.SiloAddress))
            .Select(member => member.SiloAddress)
            .ToList();
        var loads = await Task.WhenAll(others.Select(async silo =>
        {
            try
            {
                return (Silo: silo, Load: (NodeLoad?)await nodes.LoadOf(silo).WaitAsync(CallTimeout).ConfigureAwait(false));
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
            {
                return (Silo: silo, Load: (NodeLoad?)null);
            }
        })).ConfigureAwait(false);
        var order = loads
            .Where(node => node.Load is { Capacity: > 0 })
            .OrderByDescending(node => node.Load!.Free)
            .Select(node => node.Silo)
            .Append(local.SiloAddress)
            .ToList();
        return Enumerable.Range(0, count).Select(index => order[index % order.Count]).ToList();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {Job}: {Host} placed on {Silo}")]
    private partial void LogPlaced(string host, string job, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop training host {Id}: {Reason}")]
    private partial void LogNotStopped(string id, string reason);
}
