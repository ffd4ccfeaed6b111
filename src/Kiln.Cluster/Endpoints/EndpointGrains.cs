using System.Globalization;
using Kiln.Serving.Runtime;
using Orleans.Concurrency;

namespace Kiln.Cluster.Endpoints;

/// <summary>
/// One replica of an endpoint variant (SageMaker's instance), keyed by <see cref="ReplicaKeys"/>: Orleans keeps one
/// activation of it in the whole cluster, placed by <see cref="ReplicaPlacementDirector"/> on a worker, and activates
/// it again on a live node when its node dies.
/// </summary>
public interface IEndpointReplicaGrain : IGrainWithStringKey
{
    /// <summary>Loads the model if it is not loaded yet; says where, or why it could not load.</summary>
    [ResponseTimeout("00:15:00")]
    Task<ReplicaInfo> OpenAsync();

    [ResponseTimeout("00:05:00")]
    Task<ReplicaAnswer> InvokeAsync(byte[] body, string? contentType, string? accept);
}

/// <summary>The bandit of one endpoint as every node shares it (keyed by the endpoint's name).</summary>
public interface IEndpointBanditGrain : IGrainWithStringKey
{
    /// <summary>A node routed <paramref name="inferenceId"/> to variant <paramref name="variant"/>.</summary>
    [OneWay]
    Task RoutedAsync(string config, string[] variants, string inferenceId, int variant);

    Task<bool> RewardAsync(string inferenceId, double reward);

    Task<BanditState> StateAsync(string config, string[] variants);
}

[GenerateSerializer, Immutable]
public sealed record ReplicaInfo([property: Id(0)] string Node, [property: Id(1)] string? Error);

public enum ReplicaFailure
{
    None,
    Model,
    Payload,
    BadRequest,
    Failed,
}

/// <summary>A replica's answer, or what went wrong (model errors travel as data, so each keeps its status and kind).</summary>
[GenerateSerializer, Immutable]
public sealed record ReplicaAnswer(
    [property: Id(0)] string Node,
    [property: Id(1)] byte[]? Body,
    [property: Id(2)] string? ContentType,
    [property: Id(3)] ReplicaFailure Failure = ReplicaFailure.None,
    [property: Id(4)] int Status = 0,
    [property: Id(5)] string? Message = null);

[GenerateSerializer, Immutable]
public sealed record BanditState([property: Id(0)] double[] Successes, [property: Id(1)] double[] Failures, [property: Id(2)] double[] Shares);

/// <summary>A replica grain's key: <c>endpoint|config|variant|model|model creation ticks|index</c> (SageMaker names have no '|').</summary>
public static class ReplicaKeys
{
    public static string Format(ReplicaKey key) => string.Join('|',
        key.Endpoint, key.Config, key.Variant, key.Model, key.ModelCreated.UtcTicks.ToString(CultureInfo.InvariantCulture), key.Index.ToString(CultureInfo.InvariantCulture));

    public static ReplicaKey Parse(string value)
    {
        var parts = value.Split('|');
        if (parts.Length != 6)
        {
            throw new FormatException($"Not an endpoint replica key: {value}");
        }

        return new ReplicaKey(
            parts[0], parts[1], parts[2], parts[3],
            new DateTimeOffset(long.Parse(parts[4], CultureInfo.InvariantCulture), TimeSpan.Zero),
            int.Parse(parts[5], CultureInfo.InvariantCulture));
    }
}
