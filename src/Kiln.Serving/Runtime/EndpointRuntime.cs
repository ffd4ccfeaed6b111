using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Serving.Capture;
using Kiln.Serving.Explain;
using Kiln.Serving.Inference;
using Kiln.Serving.Logs;
using Kiln.Serving.Models;
using Kiln.Serving.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Serving.Runtime;

/// <summary>
/// Serves endpoints on this node. Each endpoint's record is loaded once into a <see cref="LiveEndpoint"/>
/// (replicas loaded, router built) and rebuilt off the request path when the record changes, so an
/// invocation touches no database. Capture, shadow traffic and bandit bookkeeping happen after the answer is
/// ready and never fail a request.
/// </summary>
public sealed partial class EndpointRuntime : BackgroundService, IEndpointInvoker
{
    private const int RecentInferenceCapacity = 200_000;
    private static readonly TimeSpan SavePeriod = TimeSpan.FromSeconds(1);

    /// <summary>In cluster mode, how many save periods pass between checks that every remote replica is loaded somewhere.</summary>
    private const int ReplicaCheckTicks = 3;

    /// <summary>How many readings of a bandit's weights the store keeps per endpoint (at most one a second while it learns).</summary>
    private const int WeightHistoryLength = 2000;

    private readonly IServingStore _store;
    private readonly ModelLoader _loader;
    private readonly CaptureWriter _capture;
    private readonly EndpointLogWriter _logs;
    private readonly TimeProvider _clock;
    private readonly ILogger<EndpointRuntime> _logger;
    private readonly IEndpointCluster? _cluster;
    private readonly ConcurrentDictionary<string, LiveEndpoint> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<LiveEndpoint?>> _loading = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _buildGate = new(1, 1);
    private readonly RecentInferences _recent = new(RecentInferenceCapacity);
    private readonly ConcurrentDictionary<string, long> _savedRewards = new(StringComparer.Ordinal);
    private readonly Channel<ShadowWork> _shadowQueue = Channel.CreateBounded<ShadowWork>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = false,
    });

    /// <param name="cluster">Cluster mode only: replicas live on the nodes Orleans places them on and the bandit is shared.</param>
    public EndpointRuntime(IServingStore store, ModelLoader loader, CaptureWriter capture, EndpointLogWriter logs, ServingChanges changes, TimeProvider clock, ILogger<EndpointRuntime> logger, IEndpointCluster? cluster = null)
    {
        _cluster = cluster;
        _store = store;
        _loader = loader;
        _capture = capture;
        _logs = logs;
        _clock = clock;
        _logger = logger;
        changes.Subscribe(name => _ = RefreshInBackgroundAsync(name));
    }

    public async ValueTask<InvocationResult> InvokeAsync(InvocationRequest request, CancellationToken ct = default)
    {
        var live = _live.TryGetValue(request.Endpoint, out var cached) ? cached : await LoadAsync(request.Endpoint).ConfigureAwait(false);
        if (live is not null && (!live.Record.IsServing || live.Current is null))
        {
            // The store may already say InService while the change notice that swaps this node's copy is still on its way
            // (DescribeEndpoint answered InService, the caller invokes at once): read the record again before refusing.
            live = await LoadAsync(request.Endpoint).ConfigureAwait(false);
        }

        if (live is null)
        {
            throw KilnException.NotFound($"Endpoint {request.Endpoint} not found.");
        }

        if (!live.Record.IsServing || live.Current is not { } current)
        {
            throw KilnException.InvalidParameter($"Endpoint {request.Endpoint} is {live.Record.Status}; it takes requests once it is InService.");
        }

        var fleet = live.Pending is { } pending && live.Record.PendingTrafficShare > 0 && Random.Shared.NextDouble() < live.Record.PendingTrafficShare ? pending : current;
        LiveVariant variant;
        var routed = -1;
        if (request.TargetVariant is { } target)
        {
            variant = current.Find(target) ?? live.Pending?.Find(target)
                ?? throw KilnException.InvalidParameter($"The target variant {target} does not exist for endpoint {request.Endpoint} (its variants: {string.Join(", ", current.Variants.Select(v => v.Name))}).");
        }
        else
        {
            routed = fleet.Router.Choose();
            variant = fleet.Variants[routed];
        }

        if (request.EnableExplanations is not null && fleet.Explainer is null)
        {
            throw KilnException.InvalidParameter($"EnableExplanations is set, but endpoint {request.Endpoint} has no ClarifyExplainerConfig in its endpoint config.");
        }

        var inferenceId = request.InferenceId ?? FastIds.Next().ToString();
        var answer = await PredictAsync(variant, request, ct).ConfigureAwait(false);
        var (body, contentType) = (answer.Body, answer.ContentType);
        if (routed >= 0 && fleet.Router is BanditRouter)
        {
            _recent.Add(Key(request.Endpoint, inferenceId), new RoutedInference(fleet, routed));
            if (ReferenceEquals(fleet, current))
            {
                // The shared bandit follows the current fleet only (as the saved state does); see FollowClusterAsync.
                _cluster?.Routed(request.Endpoint, fleet.ConfigName, fleet.VariantNames, inferenceId, routed);
            }
        }

        var now = _clock.GetUtcNow();
        if (fleet.Capture is { Enabled: true } capture && Sampled(capture))
        {
            _capture.Enqueue(new CaptureRecord(
                capture.DestinationUri, request.Endpoint, variant.Name, now, inferenceId,
                capture.CaptureInput ? request.ContentType ?? Payloads.Csv : null, capture.CaptureInput ? request.Body : null,
                capture.CaptureOutput ? contentType : null, capture.CaptureOutput ? body : null));
        }

        if (fleet.Shadows.Length > 0)
        {
            _shadowQueue.Writer.TryWrite(new ShadowWork(request.Endpoint, fleet, request, answer, inferenceId, now));
        }

        if (fleet.Explainer is { } explainer)
        {
            // Capture above keeps the model's own answer; the caller gets it wrapped with its explanations.
            var explained = await OnlineExplainer.ExplainAsync(
                explainer, request, answer,
                (csv, accept, token) => PredictAsync(variant, request with { Body = csv, ContentType = Payloads.Csv, Accept = accept }, token),
                ct).ConfigureAwait(false);
            (body, contentType) = (explained, "application/json");
        }

        return new InvocationResult(body, contentType, variant.Name, inferenceId);
    }

    public bool Reward(string endpoint, string inferenceId, double reward)
    {
        if (!_recent.TryTake(Key(endpoint, inferenceId), out var routed))
        {
            return false;
        }

        routed.Fleet.Router.Reward(routed.Variant, reward);
        return true;
    }

    public async ValueTask<bool> RewardAsync(string endpoint, string inferenceId, double reward)
    {
        if (_cluster is null)
        {
            return Reward(endpoint, inferenceId, reward);
        }

        // Counted here at once when this node served it; the shared bandit (which every node adopts each second) is the record.
        var here = Reward(endpoint, inferenceId, reward);
        try
        {
            return await _cluster.RewardAsync(endpoint, inferenceId, reward).ConfigureAwait(false) || here;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogBanditNotShared(e, endpoint);
            return here;
        }
    }

    public EndpointTraffic? Traffic(string endpoint)
    {
        if (!_live.TryGetValue(endpoint, out var live) || live.Current is not { } current)
        {
            return null;
        }

        var variants = new List<VariantTraffic>();
        foreach (var fleet in live.Fleets)
        {
            var shares = fleet.Router.RecentShares();
            var weights = fleet.SharedShares is { } shared && shared.Sum() > 0 ? shared : fleet.Router.CurrentWeights();
            var counts = fleet.Router is BanditRouter bandit ? bandit.Counts() : default;
            for (var i = 0; i < fleet.Variants.Length; i++)
            {
                var variant = fleet.Variants[i];
                var (p50, p99) = variant.Stats.Latency.Percentiles();
                variants.Add(new VariantTraffic(
                    variant.Name, false, variant.Stats.Invocations, variant.Stats.Errors, shares[i], weights[i], variant.Replicas.Length, p50, p99,
                    counts.Successes is null ? null : counts.Successes[i],
                    counts.Successes is null ? null : counts.Successes[i] + counts.Failures[i],
                    ReplicaInvocations: variant.Replicas.Select(replica => replica.Served).ToList(), ReplicaNodes: Nodes(variant)));
            }

            foreach (var shadow in fleet.Shadows)
            {
                var (p50, p99) = shadow.Stats.Latency.Percentiles();
                variants.Add(new VariantTraffic(shadow.Name, true, shadow.Stats.Invocations, shadow.Stats.Errors, 0, 0, shadow.Replicas.Length, p50, p99, Comparisons: shadow.Stats.Comparisons, Agreements: shadow.Stats.Agreements,
                    ReplicaInvocations: shadow.Replicas.Select(replica => replica.Served).ToList(), ReplicaNodes: Nodes(shadow)));
            }
        }

        return new EndpointTraffic(endpoint, RoutingName(current.Routing), variants, _capture.Written, _capture.Dropped);
    }

    /// <summary>In cluster mode, the node serving each replica; null when they are all in this process.</summary>
    private static List<string>? Nodes(LiveVariant variant) =>
        variant.Replicas.Any(replica => replica.Model is IRemoteReplica)
            ? variant.Replicas.Select(replica => (replica.Model as IRemoteReplica)?.Node ?? "local").ToList()
            : null;

    public static string RoutingName(RoutingStrategy routing) => routing switch
    {
        RoutingStrategy.ThompsonSampling => "thompson-sampling",
        RoutingStrategy.EpsilonGreedy => "epsilon-greedy",
        RoutingStrategy.UpperConfidenceBound => "ucb",
        _ => "weighted",
    };

    /// <summary>
    /// Reloads an endpoint from the store and swaps it in, loading any replicas its record asks for first.
    /// The deployment runner awaits this before it reports a fleet as in service; throws when a model can't load.
    /// </summary>
    public async Task RefreshAsync(string name, CancellationToken ct = default) => await RefreshAsync(name, prepare: true, ct).ConfigureAwait(false);

    private async Task RefreshAsync(string name, bool prepare, CancellationToken ct = default)
    {
        await _buildGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = await _store.FindEndpointAsync(name, ct).ConfigureAwait(false);
            _live.TryGetValue(name, out var previous);
            if (record is null)
            {
                if (_live.TryRemove(name, out var removed))
                {
                    await SaveBanditAsync(removed, force: false).ConfigureAwait(false);
                    Retire(removed, keep: null);
                }

                return;
            }

            if (previous is not null && previous.Current is not null)
            {
                await SaveBanditAsync(previous, force: false).ConfigureAwait(false);
            }

            var built = await BuildAsync(record, previous, prepare, ct).ConfigureAwait(false);
            _live[name] = built;
            if (previous is not null)
            {
                Retire(previous, keep: built);
            }
        }
        finally
        {
            _buildGate.Release();
        }
    }

    /// <summary>Writes a line (a deployment step) into the logs of every replica this node serves the endpoint with.</summary>
    public void LogToReplicas(string name, string line)
    {
        if (_live.TryGetValue(name, out var live))
        {
            foreach (var replica in live.Fleets.SelectMany(fleet => fleet.All).SelectMany(variant => variant.Replicas))
            {
                replica.Log?.Write(line);
            }
        }
    }

    /// <summary>The pending fleet's invocations and errors so far (for rolling back a bad update).</summary>
    public (long Invocations, long Errors) PendingHealth(string name)
    {
        if (!_live.TryGetValue(name, out var live) || live.Pending is not { } pending)
        {
            return (0, 0);
        }

        return (pending.Variants.Sum(v => v.Stats.Invocations), pending.Variants.Sum(v => v.Stats.Errors));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var live in _live.Values)
        {
            await SaveBanditAsync(live, force: true).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        foreach (var live in _live.Values)
        {
            Retire(live, keep: null);
        }

        _buildGate.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var shadows = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount / 2)).Select(_ => RunShadowsAsync(stoppingToken)).ToArray();
        try
        {
            using var timer = new PeriodicTimer(SavePeriod);
            var ticks = 0L;
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_cluster is not null)
                {
                    await FollowClusterAsync(_cluster, ensureReplicas: ++ticks % ReplicaCheckTicks == 0, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                foreach (var live in _live.Values)
                {
                    await SaveBanditAsync(live, force: false).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        _shadowQueue.Writer.TryComplete();
        await Task.WhenAll(shadows).ConfigureAwait(false);
    }

    /// <summary>
    /// Cluster mode, once a second: picks up endpoint changes made on other nodes (their records changed in the shared
    /// store), adopts the shared bandit's counts, and every few seconds makes sure each remote replica is loaded
    /// somewhere, which re-places the replicas of a node that died.
    /// </summary>
    private async Task FollowClusterAsync(IEndpointCluster cluster, bool ensureReplicas, CancellationToken ct)
    {
        foreach (var (name, live) in _live.ToArray())
        {
            try
            {
                var record = await _store.FindEndpointAsync(name, ct).ConfigureAwait(false);
                if (record is null || record.LastModifiedTime != live.Record.LastModifiedTime)
                {
                    await RefreshAsync(name, prepare: false, ct).ConfigureAwait(false);
                    continue;
                }

                if (live.Current is { Router: BanditRouter bandit } fleet)
                {
                    var shared = await cluster.BanditAsync(name, fleet.ConfigName, fleet.VariantNames).ConfigureAwait(false);
                    bandit.Adopt(shared.Successes, shared.Failures);
                    fleet.SharedShares = shared.Shares;
                }

                if (ensureReplicas)
                {
                    var remote = live.Fleets.SelectMany(fleet => fleet.All).SelectMany(variant => variant.Replicas).Select(replica => replica.Model).OfType<IRemoteReplica>();
                    await Task.WhenAll(remote.Select(replica => replica.EnsureAsync(ct))).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogClusterFollowFailed(e, name);
            }
        }
    }

    private static string FirstLine(string text) => text.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0 ? text[..end].TrimEnd('\r') : text;

    private static string Key(string endpoint, string inferenceId) => endpoint + "\n" + inferenceId;

    private static bool Sampled(DataCaptureSpec capture) =>
        capture.SamplingPercentage >= 100 || (capture.SamplingPercentage > 0 && Random.Shared.Next(100) < capture.SamplingPercentage);

    /// <summary>
    /// Sends the request to a replica of the variant. A remote replica whose node cannot be reached (it died, and the
    /// cluster has not noticed yet) is skipped and the request goes to another replica, each tried at most once.
    /// </summary>
    private static async ValueTask<ServedAnswer> PredictAsync(LiveVariant variant, InvocationRequest request, CancellationToken ct)
    {
        var tried = new List<Replica>();
        while (true)
        {
            var replica = variant.PickReplica(tried);
            try
            {
                return await PredictOnAsync(variant, replica, request, ct).ConfigureAwait(false);
            }
            catch (ReplicaUnavailableException e)
            {
                tried.Add(replica);
                replica.Log?.Write($"Replica unreachable: {FirstLine(e.Message)}");
                if (tried.Count >= variant.Replicas.Length)
                {
                    variant.Stats.Served(TimeSpan.Zero, failed: true);
                    throw new ModelInvocationException(503, $"No replica of variant {variant.Name} could be reached: {e.Message}", variant.Name);
                }
            }
        }
    }

    private static async ValueTask<ServedAnswer> PredictOnAsync(LiveVariant variant, Replica replica, InvocationRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        replica.Enter();
        try
        {
            var answer = await replica.Model.InvokeAsync(request.Body, request.ContentType, request.Accept, ct).ConfigureAwait(false);
            variant.Stats.Served(Stopwatch.GetElapsedTime(started), failed: false);
            return answer;
        }
        catch (ModelErrorException e)
        {
            variant.Stats.Served(Stopwatch.GetElapsedTime(started), failed: true);
            // The first line only: a framework model's traceback is already in the log, from the worker's stderr.
            replica.Log?.Write($"ModelError: the model answered {e.Status}: {FirstLine(e.Message)}");
            throw new ModelInvocationException(e.Status, e.Message, variant.Name);
        }
        catch (PayloadException e)
        {
            variant.Stats.Served(Stopwatch.GetElapsedTime(started), failed: true);
            throw new ModelInvocationException(e.Status, e.Message, variant.Name);
        }
        catch (Exception e) when (e is InvalidDataException or TrainingFailedException or ArgumentException or FormatException or InvalidOperationException)
        {
            variant.Stats.Served(Stopwatch.GetElapsedTime(started), failed: true);
            throw new ModelInvocationException(400, e.Message, variant.Name);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ModelInvocationException and not ReplicaUnavailableException)
        {
            variant.Stats.Served(Stopwatch.GetElapsedTime(started), failed: true);
            replica.Log?.Write($"ModelError: the model failed: {e.GetType().Name}: {FirstLine(e.Message)}");
            throw new ModelInvocationException(500, e.Message, variant.Name);
        }
        finally
        {
            replica.Exit();
        }
    }

    /// <summary>The first request for an endpoint this node has not loaded (after a restart, or on another node): reads it, and loads it if it serves.</summary>
    private async Task<LiveEndpoint?> LoadAsync(string name)
    {
        var record = await _store.FindEndpointAsync(name).ConfigureAwait(false);
        if (record is null || !record.IsServing)
        {
            return record is null ? null : new LiveEndpoint(record, null, null);
        }

        return await _loading.GetOrAdd(name, key => Task.Run(async () =>
        {
            try
            {
                await RefreshAsync(key, prepare: false).ConfigureAwait(false);
                return _live.GetValueOrDefault(key);
            }
            catch (KilnException e)
            {
                LogLoadFailed(e, key);
                throw new KilnException(ErrorCode.Internal, $"Endpoint {key} could not be loaded on this node: {e.Message}");
            }
            finally
            {
                _loading.TryRemove(key, out _);
            }
        })).ConfigureAwait(false);
    }

    private async Task RefreshInBackgroundAsync(string name)
    {
        try
        {
            await RefreshAsync(name, prepare: false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogLoadFailed(e, name);
        }
    }

    /// <summary>
    /// Builds what this node serves for a record. Only the deployment runner <paramref name="prepare"/>s: it
    /// loads a fleet before the record says it takes traffic. Other refreshes (change notices, a first request)
    /// never load a fleet that serves no traffic yet, so they never wait on a deployment.
    /// </summary>
    private async Task<LiveEndpoint> BuildAsync(Endpoint record, LiveEndpoint? previous, bool prepare, CancellationToken ct)
    {
        if (record.Status is EndpointStatus.Failed or EndpointStatus.OutOfService or EndpointStatus.Deleting)
        {
            return new LiveEndpoint(record, null, null);
        }

        if (!record.IsServing && !prepare)
        {
            return new LiveEndpoint(record, previous?.Current, previous?.Pending);
        }

        var previousFleets = previous?.Fleets.ToList() ?? [];
        var reusable = previousFleets.SelectMany(fleet => fleet.All).ToList();
        var current = await BuildFleetAsync(record.Name, record.ConfigName, record.Variants, record.ShadowVariants, reusable, previousFleets, ct).ConfigureAwait(false);
        Fleet? pending = null;
        if (record.PendingConfigName is { } pendingConfig)
        {
            pending = (prepare && record.Status == EndpointStatus.Updating) || record.PendingTrafficShare > 0
                ? await BuildFleetAsync(record.Name, pendingConfig, record.PendingVariants, record.PendingShadowVariants, reusable, previousFleets, ct).ConfigureAwait(false)
                : previous?.Pending is { } loaded && loaded.ConfigName == pendingConfig ? loaded : null;
        }

        return new LiveEndpoint(record, current, pending);
    }

    private async Task<Fleet?> BuildFleetAsync(
        string endpoint, string configName, IReadOnlyList<VariantState> variants, IReadOnlyList<VariantState> shadows, List<LiveVariant> reusable, IReadOnlyList<Fleet> previousFleets, CancellationToken ct)
    {
        var config = await _store.FindConfigAsync(configName, ct).ConfigureAwait(false);
        if (config is null || variants.Count == 0)
        {
            return null;
        }

        var live = new List<LiveVariant>();
        var liveShadows = new List<LiveVariant>();
        try
        {
            foreach (var state in variants)
            {
                live.Add(await BuildVariantAsync(endpoint, configName, state, reusable, ct).ConfigureAwait(false));
            }

            foreach (var state in shadows)
            {
                liveShadows.Add(await BuildVariantAsync(endpoint, configName, state, reusable, ct).ConfigureAwait(false));
            }
        }
        catch
        {
            // Replicas loaded for this fleet hold resources (a framework model's worker processes): let them go.
            var serving = previousFleets.SelectMany(fleet => fleet.All).SelectMany(variant => variant.Replicas).ToHashSet();
            foreach (var replica in live.Concat(liveShadows).SelectMany(variant => variant.Replicas).Where(replica => !serving.Contains(replica)))
            {
                replica.Retire();
            }

            throw;
        }

        // A bandit keeps learning across rebuilds of the same fleet; weighted routers take the new weights.
        var names = variants.Select(v => v.VariantName).ToList();
        var router = config.Routing != RoutingStrategy.Weighted
            && previousFleets.FirstOrDefault(fleet => fleet.ConfigName == configName && fleet.Routing == config.Routing && fleet.Variants.Select(v => v.Name).SequenceEqual(names)) is { } same
                ? same.Router
                : VariantRouter.Create(
                    config.Routing,
                    variants.Select(v => v.DesiredWeight).ToList(),
                    config.Routing == RoutingStrategy.Weighted ? null : await LoadBanditStateAsync(endpoint, configName, variants, ct).ConfigureAwait(false));
        return new Fleet(configName, [.. live], [.. liveShadows], router, config.Routing, config.DataCapture, config.Explainer);
    }

    private async Task<LiveVariant> BuildVariantAsync(string endpoint, string configName, VariantState state, List<LiveVariant> reusable, CancellationToken ct)
    {
        var model = await _store.FindModelAsync(state.ModelName, ct).ConfigureAwait(false)
            ?? throw KilnException.InvalidParameter($"Could not find model \"{state.ModelName}\" for variant '{state.VariantName}'.");
        if (_cluster is not null)
        {
            return await BuildRemoteVariantAsync(_cluster, endpoint, configName, state, model, reusable, ct).ConfigureAwait(false);
        }

        var wanted = Math.Max(1, state.DesiredInstanceCount);
        var replicas = new List<Replica>();
        var donor = reusable.FirstOrDefault(variant => variant.SameDeployment(configName, state, model));
        if (donor is not null)
        {
            reusable.Remove(donor);
            replicas.AddRange(donor.Replicas.Take(wanted));
        }

        if (replicas.Count < wanted)
        {
            var log = _logs.Open(endpoint, state.VariantName);
            log.Write($"Starting replica {replicas.Count + 1} of {wanted} of variant {state.VariantName} (endpoint config {configName}): loading model {model.Name} from {model.ModelDataUrl ?? "(no ModelDataUrl)"}");
            string directory;
            try
            {
                directory = await _loader.PrepareAsync(model, ct).ConfigureAwait(false);
            }
            catch (KilnException e)
            {
                log.Write($"Model load failed: {e.Message}");
                throw;
            }

            while (replicas.Count < wanted)
            {
                IServedModel served;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    served = await _loader.LoadServedAsync(model, directory, ct, log: log.Write).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or JsonException or InvalidOperationException or FormatException or ArgumentException or KilnException)
                {
                    log.Write($"Model load failed: {e.Message}");
                    foreach (var loaded in replicas.Skip(donor is null ? 0 : Math.Min(wanted, donor.Replicas.Length)))
                    {
                        loaded.Retire();
                    }

                    if (e is KilnException)
                    {
                        throw;
                    }

                    throw KilnException.InvalidParameter($"The model data of model \"{model.Name}\" could not be loaded: {e.Message}");
                }

                log.Write($"Model {model.Name} loaded in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms; replica {log.Stream} is ready");
                replicas.Add(new Replica(served, log));
                if (replicas.Count < wanted)
                {
                    log = _logs.Open(endpoint, state.VariantName);
                    log.Write($"Starting replica {replicas.Count + 1} of {wanted} of variant {state.VariantName} (endpoint config {configName}): loading model {model.Name} from {model.ModelDataUrl ?? "(no ModelDataUrl)"}");
                }
            }
        }

        return new LiveVariant(configName, state, model, [.. replicas], donor?.Stats ?? new VariantStats());
    }

    /// <summary>
    /// Cluster mode: the variant's replicas are grains the cluster places on its nodes (workers first); this node keeps a
    /// handle to each. A replica this node no longer uses is not stopped from here: each replica leaves by itself once
    /// the endpoint's record no longer asks for it, so a node stopping or rebuilding its view never takes one away.
    /// </summary>
    private static async Task<LiveVariant> BuildRemoteVariantAsync(
        IEndpointCluster cluster, string endpoint, string configName, VariantState state, HostedModel model, List<LiveVariant> reusable, CancellationToken ct)
    {
        var wanted = Math.Max(1, state.DesiredInstanceCount);
        var donor = reusable.FirstOrDefault(variant => variant.SameDeployment(configName, state, model));
        if (donor is not null)
        {
            reusable.Remove(donor);
        }

        var replicas = new List<Replica>(donor?.Replicas.Take(wanted) ?? []);
        while (replicas.Count < wanted)
        {
            var key = new ReplicaKey(endpoint, configName, state.VariantName, model.Name, model.CreationTime, replicas.Count);
            replicas.Add(new Replica(await cluster.OpenReplicaAsync(key, ct).ConfigureAwait(false)));
        }

        return new LiveVariant(configName, state, model, [.. replicas], donor?.Stats ?? new VariantStats());
    }

    /// <summary>Retires the replicas of <paramref name="old"/> that <paramref name="keep"/> did not take over.</summary>
    private static void Retire(LiveEndpoint old, LiveEndpoint? keep)
    {
        var kept = keep?.Fleets.SelectMany(fleet => fleet.All).SelectMany(variant => variant.Replicas).ToHashSet() ?? [];
        foreach (var replica in old.Fleets.SelectMany(fleet => fleet.All).SelectMany(variant => variant.Replicas))
        {
            if (!kept.Contains(replica))
            {
                replica.Retire();
            }
        }
    }

    private async Task<string?> LoadBanditStateAsync(string endpoint, string configName, IReadOnlyList<VariantState> variants, CancellationToken ct)
    {
        var json = await _store.LoadBanditStateAsync(endpoint, ct).ConfigureAwait(false);
        return SavedBandit.Read(json, configName, [.. variants.Select(v => v.VariantName)]);
    }

    private async Task SaveBanditAsync(LiveEndpoint live, bool force)
    {
        // In cluster mode the shared bandit grain saves what every node learned.
        if (_cluster is not null || live.Current is not { Router: BanditRouter bandit } fleet)
        {
            return;
        }

        var (successes, failures) = bandit.Counts();
        var total = (long)(successes.Sum() + failures.Sum());
        var key = live.Record.Name + "\n" + fleet.ConfigName;
        var learned = !_savedRewards.TryGetValue(key, out var saved) || saved != total;
        if (!force && !learned)
        {
            return;
        }

        try
        {
            var state = SavedBandit.Write(fleet.ConfigName, fleet.VariantNames, bandit.SaveState());
            await _store.SaveBanditStateAsync(live.Record.Name, state).ConfigureAwait(false);
            if (learned)
            {
                // The weights' history (Studio's "bandit weights over time") gains a reading each time the bandit learned.
                var weights = bandit.CurrentWeights();
                var reading = new BanditWeights(_clock.GetUtcNow(), fleet.Variants.Select((variant, i) => new VariantWeight(variant.Name, weights[i])).ToList());
                await _store.AddBanditWeightsAsync(live.Record.Name, reading, WeightHistoryLength).ConfigureAwait(false);
            }

            _savedRewards[key] = total;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogBanditNotSaved(e, live.Record.Name);
        }
    }

    private async Task RunShadowsAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var work in _shadowQueue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                foreach (var shadow in work.Fleet.Shadows)
                {
                    await RunShadowAsync(work, shadow, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends the request to a shadow variant, compares its answer with the production one, captures it; never returned to the caller.</summary>
    private async Task RunShadowAsync(ShadowWork work, LiveVariant shadow, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var replica = shadow.PickReplica();
        replica.Enter();
        try
        {
            var answer = await replica.Model.InvokeAsync(work.Request.Body, work.Request.ContentType, work.Request.Accept, ct).ConfigureAwait(false);
            shadow.Stats.Served(Stopwatch.GetElapsedTime(started), failed: false);
            if (answer.Predictions is { } predictions && work.Answer.Predictions is { } production)
            {
                var agreeing = 0;
                for (var i = 0; i < Math.Min(predictions.Count, production.Count); i++)
                {
                    if (Agree(predictions[i], production[i]))
                    {
                        agreeing++;
                    }
                }

                shadow.Stats.Compared(production.Count, agreeing);
            }
            else
            {
                // Answers of models Kiln cannot read row by row (framework models) agree when they are the same bytes.
                shadow.Stats.Compared(1, answer.Body.AsSpan().SequenceEqual(work.Answer.Body) ? 1 : 0);
            }

            if (work.Fleet.Capture is { Enabled: true } capture && Sampled(capture))
            {
                _capture.Enqueue(new CaptureRecord(
                    capture.DestinationUri, work.Endpoint, shadow.Name, work.Time, work.InferenceId,
                    capture.CaptureInput ? work.Request.ContentType ?? Payloads.Csv : null, capture.CaptureInput ? work.Request.Body : null,
                    capture.CaptureOutput ? answer.ContentType : null, capture.CaptureOutput ? answer.Body : null));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            shadow.Stats.Served(Stopwatch.GetElapsedTime(started), failed: true);
        }
        finally
        {
            replica.Exit();
        }
    }

    /// <summary>Two answers agree when their labels match, or (without labels) their scores match to 6 significant digits.</summary>
    private static bool Agree(PredictionRow a, PredictionRow b) =>
        a.Label is not null && b.Label is not null
            ? a.Label == b.Label
            : Math.Abs(a.Value - b.Value) <= 1e-6 * Math.Max(1, Math.Abs(b.Value));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint} could not be loaded")]
    private partial void LogLoadFailed(Exception exception, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The bandit state of endpoint {Endpoint} could not be saved")]
    private partial void LogBanditNotSaved(Exception exception, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A reward for endpoint {Endpoint} could not reach its shared bandit")]
    private partial void LogBanditNotShared(Exception exception, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: could not follow the cluster (record, shared bandit or replicas)")]
    private partial void LogClusterFollowFailed(Exception exception, string endpoint);

    private sealed record ShadowWork(string Endpoint, Fleet Fleet, InvocationRequest Request, ServedAnswer Answer, string InferenceId, DateTimeOffset Time);

    private sealed record RoutedInference(Fleet Fleet, int Variant);

    /// <summary>Which variant served each recent inference id, so reward feedback reaches the right arm; the oldest are forgotten first.</summary>
    private sealed class RecentInferences(int capacity)
    {
        private readonly ConcurrentDictionary<string, RoutedInference> _byId = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _order = new();

        public void Add(string key, RoutedInference routed)
        {
            if (_byId.TryAdd(key, routed))
            {
                _order.Enqueue(key);
                while (_byId.Count > capacity && _order.TryDequeue(out var oldest))
                {
                    _byId.TryRemove(oldest, out _);
                }
            }
        }

        public bool TryTake(string key, out RoutedInference routed) => _byId.TryRemove(key, out routed!);
    }
}
