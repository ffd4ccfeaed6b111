using Kiln.Serving.Models;

namespace Kiln.Serving.Runtime;

/// <summary>
/// What the endpoint runtime asks of the cluster in cluster mode (Kiln.Cluster implements it with Orleans grains);
/// absent in the embedded default, where replicas are loaded in this process and the bandit lives in this node's memory.
/// </summary>
public interface IEndpointCluster
{
    /// <summary>
    /// Opens one replica of a variant on the node the cluster places it on, loading its model there, and returns a
    /// handle that forwards requests to it. Throws <see cref="Kiln.Core.Common.KilnException"/> when the model cannot load.
    /// </summary>
    Task<IRemoteReplica> OpenReplicaAsync(ReplicaKey key, CancellationToken ct);

    /// <summary>Tells the endpoint's shared bandit which variant served an inference, so a reward sent to any node reaches it.</summary>
    void Routed(string endpoint, string config, IReadOnlyList<string> variants, string inferenceId, int variant);

    /// <summary>Records a reward in the shared bandit; false when it does not know the inference id.</summary>
    Task<bool> RewardAsync(string endpoint, string inferenceId, double reward);

    /// <summary>The shared bandit's counts and the cluster-wide share of its recent routing decisions.</summary>
    Task<SharedBandit> BanditAsync(string endpoint, string config, IReadOnlyList<string> variants);
}

/// <summary>Names one replica: replica <see cref="Index"/> of a variant of an endpoint config, serving one version of a model.</summary>
public sealed record ReplicaKey(string Endpoint, string Config, string Variant, string Model, DateTimeOffset ModelCreated, int Index);

/// <summary>A bandit's state as every node shares it: successes and failures per variant, and each variant's recent share of traffic.</summary>
public sealed record SharedBandit(double[] Successes, double[] Failures, double[] Shares);

/// <summary>A replica running on another node (or this one) of the cluster.</summary>
public interface IRemoteReplica : IServedModel
{
    /// <summary>The node serving it as of the last call (host:port of its silo).</summary>
    string Node { get; }

    /// <summary>Makes sure the replica is loaded somewhere: if its node died, this places and loads it on a live node.</summary>
    Task EnsureAsync(CancellationToken ct);
}

/// <summary>The replica's node could not be reached (it died or is leaving): the runtime sends the request to another replica.</summary>
public sealed class ReplicaUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A remote replica's model failed on a request in a way that is not the model's own error answer.</summary>
public sealed class RemoteReplicaException(string message) : Exception(message);

