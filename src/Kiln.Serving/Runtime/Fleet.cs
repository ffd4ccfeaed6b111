using Kiln.Core.Serving;
using Kiln.Serving.Logs;
using Kiln.Serving.Models;
using Kiln.Serving.Routing;

namespace Kiln.Serving.Runtime;

/// <summary>
/// One loaded copy of a model: SageMaker's instance. Requests go to the replica with the fewest in flight. A
/// retired replica (its variant was scaled in or replaced) is disposed once its last request is done.
/// </summary>
internal sealed class Replica(IServedModel model, ReplicaLog? log = null)
{
    private int _inFlight;
    private int _retired;
    private int _disposed;
    private long _served;

    public IServedModel Model { get; } = model;

    /// <summary>Where the replica's lifecycle and its model's output are logged.</summary>
    public ReplicaLog? Log { get; } = log;

    public int InFlight => Volatile.Read(ref _inFlight);

    public long Served => Interlocked.Read(ref _served);

    public void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _served);
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _retired) == 1)
        {
            DisposeOnce();
        }
    }

    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Log?.Write("Stopping replica: its fleet was replaced or scaled in, the endpoint was deleted, or the server is stopping");
        }

        if (InFlight == 0)
        {
            DisposeOnce();
        }
    }

    private void DisposeOnce()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Model.Dispose();
        }
    }
}

/// <summary>The last 2,048 latencies of a variant, for p50 and p99 without locks on the request path.</summary>
internal sealed class LatencyWindow
{
    private const int Size = 2048;
    private readonly float[] _milliseconds = new float[Size];
    private long _count;

    public void Record(TimeSpan elapsed)
    {
        var slot = (Interlocked.Increment(ref _count) - 1) & (Size - 1);
        _milliseconds[slot] = (float)elapsed.TotalMilliseconds;
    }

    public (double P50, double P99) Percentiles()
    {
        var count = (int)Math.Min(Interlocked.Read(ref _count), Size);
        if (count == 0)
        {
            return (0, 0);
        }

        var copy = _milliseconds.AsSpan(0, count).ToArray();
        Array.Sort(copy);
        return (copy[(int)(0.5 * (count - 1))], copy[(int)Math.Ceiling(0.99 * (count - 1))]);
    }
}

/// <summary>What a variant has served; carried over when its fleet is rebuilt (new weights, more replicas).</summary>
internal sealed class VariantStats
{
    private long _invocations;
    private long _errors;
    private long _comparisons;
    private long _agreements;

    public LatencyWindow Latency { get; } = new();

    public long Invocations => Interlocked.Read(ref _invocations);

    public long Errors => Interlocked.Read(ref _errors);

    public long Comparisons => Interlocked.Read(ref _comparisons);

    public long Agreements => Interlocked.Read(ref _agreements);

    public void Served(TimeSpan elapsed, bool failed)
    {
        Interlocked.Increment(ref _invocations);
        if (failed)
        {
            Interlocked.Increment(ref _errors);
        }
        else
        {
            Latency.Record(elapsed);
        }
    }

    public void Compared(int rows, int agreeing)
    {
        Interlocked.Add(ref _comparisons, rows);
        Interlocked.Add(ref _agreements, agreeing);
    }
}

/// <summary>A variant of a fleet as served on this node: its model's replicas and what it has served.</summary>
internal sealed class LiveVariant(string configName, VariantState state, HostedModel model, Replica[] replicas, VariantStats stats)
{
    private int _next;

    public string ConfigName { get; } = configName;

    public string Name => State.VariantName;

    public VariantState State { get; } = state;

    public HostedModel Model { get; } = model;

    public Replica[] Replicas { get; } = replicas;

    public VariantStats Stats { get; } = stats;

    /// <summary>Whether this variant can take over <paramref name="other"/>'s replicas: same fleet, same variant, same model.</summary>
    public bool SameDeployment(string config, VariantState other, HostedModel model) =>
        ConfigName == config && Name == other.VariantName && Model.Name == model.Name && Model.CreationTime == model.CreationTime;

    /// <summary>SageMaker's LEAST_OUTSTANDING_REQUESTS: the replica with the fewest requests in flight, rotating among ties.</summary>
    public Replica PickReplica() => PickReplica([]);

    /// <summary>As <see cref="PickReplica()"/>, leaving out replicas already tried for this request (while any other is left).</summary>
    public Replica PickReplica(IReadOnlyCollection<Replica> tried)
    {
        var replicas = Replicas;
        if (replicas.Length == 1)
        {
            return replicas[0];
        }

        if (tried.Count > 0 && replicas.Where(replica => !tried.Contains(replica)).ToArray() is { Length: > 0 } left)
        {
            replicas = left;
        }

        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)replicas.Length);
        var best = replicas[start];
        for (var i = 1; i < replicas.Length && best.InFlight > 0; i++)
        {
            var candidate = replicas[(start + i) % replicas.Length];
            if (candidate.InFlight < best.InFlight)
            {
                best = candidate;
            }
        }

        return best;
    }
}

/// <summary>The variants of one endpoint config as deployed: production variants behind a router, shadows beside them.</summary>
internal sealed class Fleet(string configName, LiveVariant[] variants, LiveVariant[] shadows, VariantRouter router, RoutingStrategy routing, DataCaptureSpec? capture, ClarifyExplainerSpec? explainer = null)
{
    public string ConfigName { get; } = configName;

    public LiveVariant[] Variants { get; } = variants;

    public LiveVariant[] Shadows { get; } = shadows;

    public VariantRouter Router { get; } = router;

    public RoutingStrategy Routing { get; } = routing;

    public DataCaptureSpec? Capture { get; } = capture;

    /// <summary>Clarify online explainability: when set, every answer is the explainer's JSON.</summary>
    public ClarifyExplainerSpec? Explainer { get; } = explainer;

    public IEnumerable<LiveVariant> All => Variants.Concat(Shadows);

    public LiveVariant? Find(string variant) => Array.Find(Variants, v => v.Name == variant);

    public IReadOnlyList<string> VariantNames { get; } = [.. variants.Select(variant => variant.Name)];

    /// <summary>Cluster mode: each variant's share of the bandit's recent decisions on every node (null in embedded mode).</summary>
    public double[]? SharedShares { get; set; }
}

/// <summary>An endpoint as this node serves it: its record's status, the current fleet, and during an update the new fleet with its share of traffic.</summary>
internal sealed class LiveEndpoint(Endpoint record, Fleet? current, Fleet? pending)
{
    public Endpoint Record { get; } = record;

    public Fleet? Current { get; } = current;

    public Fleet? Pending { get; } = pending;

    public IEnumerable<Fleet> Fleets => new[] { Current, Pending }.OfType<Fleet>();
}
