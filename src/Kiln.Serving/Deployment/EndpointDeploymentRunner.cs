using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Serving.Runtime;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Deployment;

/// <summary>
/// Brings endpoints into service on the job engine: loads a new endpoint's fleet (Creating → InService or
/// Failed); applies new weights and replica counts; and deploys an updated config blue/green — the new fleet
/// comes up beside the old one, takes traffic in the policy's steps (all at once, canary, linear) while its
/// errors are watched, and takes over, or the update rolls back and the old fleet keeps serving.
/// </summary>
public sealed partial class EndpointDeploymentRunner(IServingStore store, EndpointRuntime runtime, ServingChanges changes, TimeProvider clock, ILogger<EndpointDeploymentRunner> logger) : IJobRunner
{
    /// <summary>A new fleet whose requests fail more often than this while it bakes is rolled back.</summary>
    public const double RollbackErrorRate = 0.1;

    private const int RollbackMinimumRequests = 10;

    public string Kind => ServingService.EndpointJobKind;

    public async Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) =>
        await store.FindEndpointAsync(name, ct).ConfigureAwait(false) is not { Status: EndpointStatus.Creating or EndpointStatus.Updating or EndpointStatus.RollingBack };

    public async Task RunAsync(JobRun run)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(run.StopRequested, run.NodeShutdown);
        var ct = cancel.Token;
        var endpoint = await store.FindEndpointAsync(run.Name, ct).ConfigureAwait(false);
        if (endpoint is null)
        {
            return;
        }

        try
        {
            switch (endpoint)
            {
                case { Status: EndpointStatus.Creating }:
                    await CreateAsync(endpoint, ct).ConfigureAwait(false);
                    break;
                case { Status: EndpointStatus.Updating, Operation: EndpointOperation.UpdateConfig } or { Status: EndpointStatus.RollingBack }:
                    await UpdateConfigAsync(endpoint, ct).ConfigureAwait(false);
                    break;
                case { Status: EndpointStatus.Updating }:
                    await UpdateWeightsAsync(endpoint, ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (run.StopRequested.IsCancellationRequested && !run.NodeShutdown.IsCancellationRequested)
        {
            // The endpoint was deleted while it was being deployed: nothing is left to finish.
        }
    }

    private async Task CreateAsync(Endpoint endpoint, CancellationToken ct)
    {
        try
        {
            await runtime.RefreshAsync(endpoint.Name, ct).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            await ChangeAsync(endpoint.Name, current => current with { Status = EndpointStatus.Failed, Operation = EndpointOperation.None, FailureReason = JobFailure.Truncate(e.Message) }, ct).ConfigureAwait(false);
            return;
        }

        await ChangeAsync(endpoint.Name, current => current with
        {
            Status = EndpointStatus.InService,
            Operation = EndpointOperation.None,
            Variants = Settled(current.Variants),
            ShadowVariants = Settled(current.ShadowVariants),
        }, ct).ConfigureAwait(false);
    }

    private async Task UpdateWeightsAsync(Endpoint endpoint, CancellationToken ct)
    {
        try
        {
            await runtime.RefreshAsync(endpoint.Name, ct).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            await ChangeAsync(endpoint.Name, current => current with
            {
                Status = EndpointStatus.InService,
                Operation = EndpointOperation.None,
                FailureReason = JobFailure.Truncate($"The weights and capacities update failed: {e.Message}"),
                Variants = current.Variants.Select(v => v with { DesiredWeight = v.CurrentWeight, DesiredInstanceCount = v.CurrentInstanceCount }).ToList(),
            }, ct).ConfigureAwait(false);
            return;
        }

        await ChangeAsync(endpoint.Name, current => current with { Status = EndpointStatus.InService, Operation = EndpointOperation.None, Variants = Settled(current.Variants) }, ct).ConfigureAwait(false);
    }

    private async Task UpdateConfigAsync(Endpoint endpoint, CancellationToken ct)
    {
        if (endpoint.Status == EndpointStatus.RollingBack || endpoint.PendingConfigName is null)
        {
            await RollBackAsync(endpoint.Name, endpoint.FailureReason ?? "The update was interrupted while rolling back", ct).ConfigureAwait(false);
            return;
        }

        // A restarted update starts its traffic shift over: the new fleet first carries no traffic.
        try
        {
            await ChangeAsync(endpoint.Name, current => current with { PendingTrafficShare = 0 }, ct).ConfigureAwait(false);
        }
        catch (KilnException e)
        {
            await RollBackAsync(endpoint.Name, $"The new fleet (endpoint config {endpoint.PendingConfigName}) could not be brought up: {e.Message}", ct).ConfigureAwait(false);
            return;
        }

        var pendingInstances = endpoint.PendingVariants.Sum(v => Math.Max(1, v.DesiredInstanceCount));
        var policy = endpoint.LastDeployment ?? new BlueGreenPolicy(BlueGreenPolicy.AllAtOnce, 0);
        var deadline = policy.MaximumExecutionTimeoutInSeconds is { } timeout ? clock.GetUtcNow().AddSeconds(timeout) : (DateTimeOffset?)null;
        var steps = policy.Steps(pendingInstances);
        foreach (var share in steps)
        {
            await ChangeAsync(endpoint.Name, current => current with { PendingTrafficShare = share }, ct).ConfigureAwait(false);
            runtime.LogToReplicas(endpoint.Name, $"Blue/green deployment: the new fleet (endpoint config {endpoint.PendingConfigName}) takes {share:P0} of traffic; the old fleet (endpoint config {endpoint.ConfigName}) the rest");
            if (share >= 1)
            {
                break;
            }

            LogShifted(endpoint.Name, endpoint.PendingConfigName, share);
            await Task.Delay(TimeSpan.FromSeconds(policy.WaitIntervalInSeconds), clock, ct).ConfigureAwait(false);
            var (invocations, errors) = runtime.PendingHealth(endpoint.Name);
            if (invocations >= RollbackMinimumRequests && errors > RollbackErrorRate * invocations)
            {
                await RollBackAsync(endpoint.Name, $"The new fleet failed {errors} of {invocations} requests while baking; traffic went back to endpoint config {endpoint.ConfigName}", ct).ConfigureAwait(false);
                return;
            }

            if (deadline is { } limit && clock.GetUtcNow() > limit)
            {
                await RollBackAsync(endpoint.Name, $"The update exceeded MaximumExecutionTimeoutInSeconds ({policy.MaximumExecutionTimeoutInSeconds} s)", ct).ConfigureAwait(false);
                return;
            }
        }

        runtime.LogToReplicas(endpoint.Name, $"Blue/green deployment: endpoint config {endpoint.PendingConfigName} takes over; the old fleet (endpoint config {endpoint.ConfigName}) stops");
        if (policy.TerminationWaitInSeconds is > 0 and var wait)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait), clock, ct).ConfigureAwait(false);
        }

        await ChangeAsync(endpoint.Name, current => current with
        {
            Status = EndpointStatus.InService,
            Operation = EndpointOperation.None,
            ConfigName = current.PendingConfigName ?? current.ConfigName,
            Variants = Settled(current.PendingVariants),
            ShadowVariants = Settled(current.PendingShadowVariants),
            PendingConfigName = null,
            PendingVariants = [],
            PendingShadowVariants = [],
            PendingTrafficShare = 0,
            PendingStartTime = null,
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Sends all traffic back to the old fleet and drops the new one; the endpoint stays in service with the reason recorded.</summary>
    private async Task RollBackAsync(string name, string reason, CancellationToken ct)
    {
        LogRollingBack(name, reason);
        runtime.LogToReplicas(name, $"Blue/green deployment rolling back: {reason}");
        await ChangeAsync(name, current => current with { Status = EndpointStatus.RollingBack, PendingTrafficShare = 0, FailureReason = JobFailure.Truncate(reason) }, ct).ConfigureAwait(false);
        await ChangeAsync(name, current => current with
        {
            Status = EndpointStatus.InService,
            Operation = EndpointOperation.None,
            PendingConfigName = null,
            PendingVariants = [],
            PendingShadowVariants = [],
            PendingTrafficShare = 0,
            PendingStartTime = null,
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Writes a change and waits until this node serves it, so what DescribeEndpoint says is what invocations get.</summary>
    private async Task ChangeAsync(string name, Func<Endpoint, Endpoint> change, CancellationToken ct)
    {
        var updated = await store.UpdateEndpointAsync(name, current => change(current) with { LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        if (updated is null)
        {
            throw new OperationCanceledException($"Endpoint {name} no longer exists.");
        }

        try
        {
            await runtime.RefreshAsync(name, ct).ConfigureAwait(false);
        }
        catch (KilnException)
        {
            // The fleet that failed to load is reported by the step that loaded it.
            if (updated.Status == EndpointStatus.Updating)
            {
                throw;
            }
        }

        changes.Publish(name);
    }

    private static List<VariantState> Settled(IReadOnlyList<VariantState> variants) =>
        variants.Select(v => v with { CurrentWeight = v.DesiredWeight, CurrentInstanceCount = Math.Max(1, v.DesiredInstanceCount) }).ToList();

    [LoggerMessage(Level = LogLevel.Information, Message = "Endpoint {Endpoint}: config {Config} now takes {Share:P0} of traffic")]
    private partial void LogShifted(string endpoint, string config, double share);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: rolling back the update ({Reason})")]
    private partial void LogRollingBack(string endpoint, string reason);
}
