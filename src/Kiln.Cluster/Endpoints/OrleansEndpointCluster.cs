using Kiln.Core.Common;
using Kiln.Serving.Inference;
using Kiln.Serving.Models;
using Kiln.Serving.Runtime;

namespace Kiln.Cluster.Endpoints;

/// <summary>The endpoint runtime's cluster hooks as grain calls: replicas are <see cref="IEndpointReplicaGrain"/>s, the bandit an <see cref="IEndpointBanditGrain"/>.</summary>
internal sealed class OrleansEndpointCluster(IGrainFactory grains) : IEndpointCluster
{
    private const int RewardAttempts = 4;

    public async Task<IRemoteReplica> OpenReplicaAsync(ReplicaKey key, CancellationToken ct)
    {
        var replica = new RemoteReplica(grains.GetGrain<IEndpointReplicaGrain>(ReplicaKeys.Format(key)), key);
        await replica.EnsureAsync(ct).ConfigureAwait(false);
        return replica;
    }

    public void Routed(string endpoint, string config, IReadOnlyList<string> variants, string inferenceId, int variant) =>
        _ = grains.GetGrain<IEndpointBanditGrain>(endpoint).RoutedAsync(config, [.. variants], inferenceId, variant);

    public async Task<bool> RewardAsync(string endpoint, string inferenceId, double reward)
    {
        // The serving node tells the bandit about an inference one-way (not on the request's path), so a reward sent
        // at once through another node can overtake that notice: an id the bandit does not know yet is asked again briefly.
        var bandit = grains.GetGrain<IEndpointBanditGrain>(endpoint);
        for (var attempt = 1; ; attempt++)
        {
            if (await bandit.RewardAsync(inferenceId, reward).ConfigureAwait(false))
            {
                return true;
            }

            if (attempt == RewardAttempts)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)).ConfigureAwait(false);
        }
    }

    public async Task<SharedBandit> BanditAsync(string endpoint, string config, IReadOnlyList<string> variants)
    {
        var state = await grains.GetGrain<IEndpointBanditGrain>(endpoint).StateAsync(config, [.. variants]).ConfigureAwait(false);
        return new SharedBandit(state.Successes, state.Failures, state.Shares);
    }

    /// <summary>A handle to a replica grain; requests and answers travel as grain calls.</summary>
    private sealed class RemoteReplica(IEndpointReplicaGrain grain, ReplicaKey key) : IRemoteReplica
    {
        private string _node = "";

        public string Node => Volatile.Read(ref _node);

        public async ValueTask<ServedAnswer> InvokeAsync(ReadOnlyMemory<byte> body, string? contentType, string? accept, CancellationToken ct)
        {
            ReplicaAnswer answer;
            try
            {
                answer = await grain.InvokeAsync(body.ToArray(), contentType, accept).WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                throw new ReplicaUnavailableException($"replica {key.Index + 1} of variant {key.Variant} (last on node {Node}): {e.Message}", e);
            }

            Volatile.Write(ref _node, answer.Node);
            return answer.Failure switch
            {
                ReplicaFailure.None => new ServedAnswer(answer.Body ?? [], answer.ContentType ?? Payloads.Csv),
                ReplicaFailure.Model => throw new ModelErrorException(answer.Status, answer.Message ?? ""),
                ReplicaFailure.Payload => throw new PayloadException(answer.Status, answer.Message ?? ""),
                ReplicaFailure.BadRequest => throw new InvalidDataException(answer.Message),
                _ => throw new RemoteReplicaException(answer.Message ?? "the replica failed"),
            };
        }

        public async Task EnsureAsync(CancellationToken ct)
        {
            var info = await grain.OpenAsync().WaitAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _node, info.Node);
            if (info.Error is { } error)
            {
                throw KilnException.InvalidParameter($"The model data of model \"{key.Model}\" could not be loaded on node {info.Node}: {error}");
            }
        }

        // Nothing to release here: the replica leaves by itself once the endpoint's record no longer asks for it.
        public void Dispose()
        {
        }
    }
}
